"""Targets of the demo generator: the paper's published Tables 1–5 per arm (pure data).

Continuous rows are the paper's printed cells (``Summary``: centre, Q1, Q3, or mean ± SD)
with the grid of values a participant can have in this EDC and the published P value;
``analysis.demo_solver`` constructs values that print them. Counts are the paper's exact
counts (Tables 1, 4, 5). Sources: the seed trial's paper (docs/design.md, "The seed trial").
"""

from __future__ import annotations

from analysis.demo_solver import Row, Summary

SEED = 20230504  # the generator's seed: categories' order, pairing across visits, free text
N = {"S": 38, "P": 39}


def steps(low: float, high: float, step: float) -> tuple[float, ...]:
    """Return the grid low, low + step, …, high (rounded to the step's decimals)."""
    count = int(round((high - low) / step))
    digits = max(0, -int(f"{step:e}".split("e")[1]))
    return tuple(round(low + i * step, digits) for i in range(count + 1))


VAS = steps(0, 10, 0.1)
S, P = "S", "P"


def _row(key: str, grid: tuple[float, ...], s: tuple[str, ...], p: tuple[str, ...],
         pub: str = "", **kw) -> Row:  # fmt: skip
    return Row(key, grid, {S: Summary(*s), P: Summary(*p)}, pub, **kw)


# Table 1 (continuous rows). The paper's centre beside "(Q1, Q3)" is read as a mean and,
# where the grid allows, as the median too (docs/paper-reproduction.md).
TABLE1 = (
    _row("age_years", steps(18, 80, 0.1), ("60.2", "54.0", "71.5"), ("56.2", "49.0", "68.0"),
         "0.089", low=35, high=80),
    _row("bmi", steps(18.5, 30, 0.1), ("25.9", "", "", "2.9"), ("25.8", "", "", "2.7"),
         "0.901"),
    _row("leg_pain_duration_days", steps(7, 7300, 1), ("1010.7", "55.0", "1440.0"),
         ("451.6", "60.0", "1440.0"), "0.058", low=14, median_near_mean=False),
    _row("surgery_minutes", steps(30, 240, 1), ("94.6", "68.8", "110.0"),
         ("102.8", "75.0", "126.0"), "0.261", low=45, high=180),
    _row("blood_loss_ml", steps(0, 300, 1), ("34.5", "13.8", "50.0"), ("28.6", "0.0", "50.0"),
         "0.312", high=120),
    _row("length_of_stay_days", steps(3, 21, 1), ("7.3", "6.0", "7.3"), ("6.7", "5.0", "8.0"),
         "0.069", low=4, high=14, median_near_mean=False),
)  # fmt: skip

# Table 2: leg-pain VAS by visit. Post-op day 3 holds complete reliefs (VAS 0) so that the
# primary outcome is estimable: 9 of 38 in S is the most Q1 = 0.6 allows; 3 of 39 in P.
TABLE2 = (
    _row("vas_leg_admission", VAS, ("5.2", "4.0", "6.0"), ("5.8", "4.0", "7.0"), "0.080",
         low=2),
    _row("vas_leg_preop", VAS, ("2.5", "2.0", "3.2"), ("3.9", "2.8", "5.2"), "0.000", low=0.5),
    _row("vas_leg_postop_day_3", VAS, ("1.2", "0.6", "1.6"), ("1.8", "1.0", "2.8"), "0.008",
         zeros={S: 9, P: 3}, high=6),
    _row("vas_leg_month_3", VAS, ("0.8", "0.0", "1.2"), ("1.4", "0.0", "2.1"), "0.044",
         high=5),
)  # fmt: skip

# Table 3 prints markers only (** P < 0.01, * P < 0.05 at 3 months; none at admission):
# the demo aims at P values inside those bands.
TABLE3 = (
    _row("joa_admission", steps(0, 29, 1), ("11.3", "8.0", "13.2"), ("9.7", "6.0", "14.0"),
         p_aim=0.40, low=2, high=22),
    _row("joa_month_3", steps(0, 29, 1), ("25.3", "24.0", "28.0"), ("21.1", "15.0", "27.0"),
         p_aim=0.004, low=10),
    _row("odi_admission", steps(0, 100, 2), ("49.2", "40.0", "61.2"), ("50.8", "45.0", "60.0"),
         p_aim=0.50, low=20, high=86),
    _row("odi_month_3", steps(0, 100, 2), ("12.4", "5.0", "18.0"), ("19.0", "7.5", "27.0"),
         p_aim=0.025, high=50),
    _row("sf36_total_admission", (), ("87.2", "75.1", "93.7"), ("82.5", "73.2", "85.1"),
         p_aim=0.30, low=55, high=110),
    _row("sf36_total_month_3", (), ("118.2", "110.6", "124.2"), ("107.5", "90.2", "124.4"),
         p_aim=0.025, low=70, high=140),
)  # fmt: skip

# Draw targets of the synthetic benchmark data (bench/synthetic.py), which draws values
# around the paper's summaries rather than constructing them: (min, Q1, centre, Q3, max).
Quartiles = tuple[float, float, float, float, float]
CONTINUOUS: dict[str, dict[str, Quartiles]] = {
    "age": {"S": (35, 54.0, 60.2, 71.5, 80), "P": (30, 49.0, 56.2, 68.0, 80)},
    "duration": {"S": (14, 55.0, 400, 1440.0, 3000), "P": (14, 60.0, 300, 1440.0, 2500)},
    "surgery_minutes": {"S": (50, 68.8, 94.6, 110.0, 150), "P": (50, 75.0, 102.8, 126.0, 170)},
    "blood_loss": {"S": (0, 13.8, 34.5, 50.0, 100), "P": (0, 0.0, 28.6, 50.0, 100)},
    "stay": {"S": (5, 6.0, 7.0, 7.3, 10), "P": (4, 5.0, 6.7, 8.0, 10)},
    "vas:admission": {"S": (3, 4.0, 5.2, 6.0, 8), "P": (3, 4.0, 5.8, 7.0, 8.5)},
    "vas:preop": {"S": (1, 2.0, 2.5, 3.2, 5), "P": (1, 2.8, 3.9, 5.2, 7)},
    "vas:postop_day_3": {"S": (0, 0.6, 1.2, 1.6, 3), "P": (0, 1.0, 1.8, 2.8, 5)},
    "vas:month_3": {"S": (0, 0.0, 0.8, 1.2, 3), "P": (0, 0.0, 1.4, 2.1, 4)},
    "joa:admission": {"S": (3, 8.0, 11.3, 13.2, 18), "P": (2, 6.0, 9.7, 14.0, 19)},
    "joa:month_3": {"S": (18, 24.0, 25.3, 28.0, 29), "P": (10, 15.0, 21.1, 27.0, 29)},
    "odi:admission": {"S": (25, 40.0, 49.2, 61.2, 80), "P": (30, 45.0, 50.8, 60.0, 78)},
    "odi:month_3": {"S": (0, 5.0, 12.4, 18.0, 30), "P": (2, 7.5, 19.0, 27.0, 45)},
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
