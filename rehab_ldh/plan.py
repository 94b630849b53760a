"""The statistical analysis plan of the rehabilitation trial (pure: no Django), built by the
same engine as the seed's (``analysis.tables.TABLE_BUILDERS``).

Tables: 1, baseline characteristics (no P values: CONSORT item 15); 2, the primary outcome,
ODI by visit (a repeated measure: between-arm and within-arm against baseline); 3, the
secondary outcomes by visit (leg and back pain VAS, EQ VAS, EQ-5D-5L level sum score); 4,
adverse events (the protocol's adverse-event log, read from the release's events frame):
participants with any, a serious and each CTCAE grade of event, with the 2×2 test of each
row, and the number of events. The primary
outcome is the ODI at month 3, analysed as a mean difference by the baseline-adjusted
ANCOVA every repeated measure gets, and as the rate of minimal disability (ODI ≤ 20 %).
Arms R:U are allocated 2:1; every test compares the two groups as they are (unequal sizes
are expected).
Column names are the protocol's canonical names (``rehab_ldh.protocol``), repeated here as
plain strings so that the plan stays pure; ``tests/unit/analysis/test_variable_names.py``
style checks (``rehab_ldh/tests``) compare them with the datasets.
"""

from __future__ import annotations

from analysis.plans.schema import (
    AnalysisPlan,
    FigureSpec,
    Label,
    ModelSpec,
    PrimaryOutcome,
    RepeatedMeasure,
    TableSpec,
    Variable,
)

ALL_VISITS = ("baseline", "week_2", "week_6", "month_3", "month_6")

BASELINE = (
    Variable("sex", Label("Sex, n (%)", "性别, n (%)"), "nominal",
             (("male", Label("Male", "男")), ("female", Label("Female", "女")))),
    Variable("age_years", Label("Age at randomization (years)", "随机化时年龄（岁）"),
             "continuous"),
    Variable("bmi", Label("BMI (kg/m²)", "体重指数 (kg/m²)"), "continuous"),
    Variable("operated_level", Label("Operated level, n (%)", "手术节段, n (%)"), "nominal",
             tuple((v, Label(v.replace("-", "~"), v.replace("-", "~")))
                   for v in ("L3-4", "L4-5", "L5-S1"))),
    Variable("days_surgery_to_randomization",
             Label("Days from surgery to randomization", "手术至随机化天数"), "continuous"),
    Variable("odi_baseline", Label("ODI at baseline (%)", "基线 ODI (%)"), "continuous"),
    Variable("vas_leg_baseline", Label("Leg-pain VAS at baseline", "基线腿痛 VAS"),
             "continuous"),
    Variable("eq_vas_baseline", Label("EQ VAS at baseline", "基线 EQ VAS"), "continuous"),
)  # fmt: skip

ODI = RepeatedMeasure("odi", Label("ODI (%)", "ODI (%)"), ALL_VISITS)

TABLES = (
    TableSpec(
        "baseline",
        Label("Table 1. Baseline characteristics by arm", "表 1 两组基线特征"),
        "characteristics",
        variables=BASELINE,
    ),
    TableSpec(
        "primary",
        Label(
            "Table 2. Primary outcome: Oswestry Disability Index by visit",
            "表 2 主要结局：各访视 Oswestry 功能障碍指数",
        ),
        "repeated_measure",
        measures=(ODI,),
    ),
    TableSpec(
        "secondary",
        Label(
            "Table 3. Secondary outcomes: pain and health status by visit",
            "表 3 次要结局：各访视疼痛与健康状况",
        ),
        "measures_at_visits",
        measures=(
            RepeatedMeasure("vas_leg", Label("Leg-pain VAS", "腿痛 VAS"), ALL_VISITS),
            RepeatedMeasure("vas_back", Label("Back-pain VAS", "腰痛 VAS"), ALL_VISITS),
            RepeatedMeasure("eq_vas", Label("EQ VAS", "EQ VAS"), ALL_VISITS, decimals=0),
            RepeatedMeasure(
                "eq5d_level_sum",
                Label("EQ-5D-5L level sum score", "EQ-5D-5L 水平总分"),
                ALL_VISITS,
            ),
        ),
    ),
    TableSpec(
        "safety",
        Label("Table 4. Adverse events by arm", "表 4 两组不良事件"),
        "adverse_events",
    ),
)

REHAB_LDH_PLAN = AnalysisPlan(
    protocol_code="rehab_ldh",
    arms=("R", "U"),
    # Headings: the protocol's arm and visit labels (``rehab_ldh.protocol``), except the
    # arms, whose protocol labels ("R: supervised rehabilitation") are shortened here.
    arm_labels={"R": Label("Rehabilitation", "康复组"), "U": Label("Usual care", "常规护理组")},
    baseline_visit="baseline",
    tables=TABLES,
    mixed_model=ModelSpec(
        "odi",
        Label("ODI: arm difference (arm × visit model)", "ODI：组间差值（组别 × 时间模型）"),
    ),
    figures=(
        FigureSpec(
            "odi_over_time",
            "odi",
            Label("ODI over time (mean, 95% CI)", "各时间点 ODI（均数，95% CI）"),
        ),
    ),  # fmt: skip
    treatment_forms={"R": ("adherence",), "U": ()},
    per_protocol_form=("month_3", "odi"),
    primary=PrimaryOutcome(
        "odi",
        "month_3",
        20.0,
        Label("Minimal disability at month 3 (ODI ≤ 20 %)", "第 3 个月轻度功能障碍 (ODI ≤ 20 %)"),
    ),
    baseline_p_values="omit",
    sample_size_inputs={
        "p1": 0.45,
        "p2": 0.70,
        "alpha": 0.05,
        "power": 0.80,
        "ratio": 2.0,
        "dropout": 0.10,
    },
)
