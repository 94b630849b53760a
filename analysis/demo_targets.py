"""Targets of the demo generator: the paper's published summaries per arm (pure data).

Continuous targets are (min, Q1, median, Q3, max) per arm; the paper prints means in its
"(Q1, Q3)" rows, which are used as medians here. Counts are the paper's exact counts.
"""

from __future__ import annotations

Quartiles = tuple[float, float, float, float, float]

N = {"S": 38, "P": 39}

CONTINUOUS: dict[str, dict[str, Quartiles]] = {
    "age": {"S": (35, 54.0, 60.2, 71.5, 80), "P": (30, 49.0, 56.2, 68.0, 80)},
    "duration": {"S": (14, 55.0, 400, 1440.0, 3000), "P": (14, 60.0, 300, 1440.0, 2500)},
    "surgery_minutes": {"S": (50, 68.8, 94.6, 110.0, 150), "P": (50, 75.0, 102.8, 126.0, 170)},
    "blood_loss": {"S": (0, 13.8, 34.5, 50.0, 100), "P": (0, 0.0, 28.6, 50.0, 100)},
    "stay": {"S": (5, 6.0, 7.0, 7.3, 10), "P": (4, 5.0, 6.7, 8.0, 10)},
    "vas:admission": {"S": (3, 4.5, 5.2, 6.0, 8), "P": (3, 4.8, 5.8, 6.8, 8.5)},
    "vas:preop": {"S": (1, 2.0, 2.5, 3.2, 5), "P": (1, 2.8, 3.9, 5.2, 7)},
    "vas:postop_day_3": {"S": (0, 0.6, 1.2, 1.6, 3), "P": (0, 1.0, 1.8, 2.8, 5)},
    "vas:month_3": {"S": (0, 0.0, 0.8, 1.2, 3), "P": (0, 0.0, 1.4, 2.1, 4)},
    "joa:admission": {"S": (3, 8.0, 11.3, 13.2, 18), "P": (2, 6.0, 9.7, 14.0, 19)},
    "joa:month_3": {"S": (18, 24.0, 25.3, 28.0, 29), "P": (10, 15.0, 21.1, 27.0, 29)},
    "odi:admission": {"S": (25, 40.0, 49.2, 61.2, 80), "P": (30, 45.0, 50.8, 60.0, 78)},
    "odi:month_3": {"S": (0, 5.0, 12.4, 18.0, 30), "P": (2, 10.0, 19.0, 27.0, 45)},
    "sf36:admission": {"S": (60, 75.1, 87.2, 93.7, 105), "P": (58, 73.2, 82.5, 85.1, 100)},
    "sf36:month_3": {"S": (95, 110.6, 118.2, 124.2, 135), "P": (70, 90.2, 107.5, 124.4, 135)},
}
BMI = {"S": (25.9, 4.0), "P": (25.8, 2.7)}  # mean, SD (Table 1)

# Category -> count per arm (Tables 1, 4, 5; sex from Results 1: 37 men, 40 women overall).
COUNTS: dict[str, dict[str, dict[object, int]]] = {
    "sex": {"S": {"male": 18, "female": 20}, "P": {"male": 19, "female": 20}},
    "pfirrmann_grade": {"S": {"II": 5, "III": 21, "IV": 12},
                        "P": {"II": 9, "III": 19, "IV": 10, "V": 1}},
    "herniation_level": {"S": {"L2-3": 1, "L3-4": 2, "L4-5": 21, "L5-S1": 14},
                         "P": {"L3-4": 3, "L4-5": 21, "L5-S1": 15}},
    "numbness": {"S": {True: 21, False: 17}, "P": {True: 24, False: 15}},
    "weakness": {"S": {True: 8, False: 30}, "P": {True: 14, False: 25}},
    "back_pain": {"S": {True: 8, False: 30}, "P": {True: 3, False: 36}},
    "hypertension": {"S": {True: 20, False: 18}, "P": {True: 15, False: 24}},
    "diabetes": {"S": {True: 8, False: 30}, "P": {True: 6, False: 33}},
    "residual_low_back_pain": {"S": {True: 1, False: 37}, "P": {True: 7, False: 32}},
    "recurrent_pain": {"S": {True: 3, False: 35}, "P": {True: 11, False: 28}},
    "recurrence_mri_confirmed": {"S": {True: 4, False: 34}, "P": {True: 3, False: 36}},
    "macnab": {"S": {"excellent": 30, "good": 5, "fair": 3},
               "P": {"excellent": 25, "good": 9, "fair": 5}},
}  # fmt: skip
