"""The SAP of the SNRB-before-PELD trial (docs/sap.md; the paper's Tables 1–5).

Columns refer to the wide dataset (``analysis.datasets.columns``). Visit codes are those of
the protocol ``snrb_peld`` (``trial.protocol.snrb_peld``), repeated here as plain strings so
the plan stays pure.
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

YES = (("yes", Label("Yes", "是")), ("no", Label("No", "否")))
VAS_VISITS = ("admission", "preop", "postop_day_3", "month_3")
FOLLOW_UP = ("admission", "month_3")

TABLE1 = (
    Variable("sex", Label("Sex, n (%)", "性别, n (%)"), "nominal",
             (("male", Label("Male", "男")), ("female", Label("Female", "女")))),
    Variable("age_years", Label("Age (years)", "年龄（岁）"), "continuous"),
    Variable("bmi", Label("BMI (kg/m²)", "体重指数 (kg/m²)"), "continuous"),
    Variable("leg_pain_duration_days",
             Label("Duration of leg pain (days)", "下肢疼痛病程时间（天）"), "continuous"),
    Variable("pfirrmann_grade",
             Label("Pfirrmann grading of lumbar disc degeneration, n (%)",
                   "腰椎间盘退变 Pfirrmann 分级, n (%)"), "ordinal",
             tuple((g, Label(g, g)) for g in ("I", "II", "III", "IV", "V"))),
    Variable("numbness", Label("Numbness, n (%)", "麻木, n (%)"), "binary", YES),
    Variable("weakness", Label("Fatigue, n (%)", "乏力, n (%)"), "binary", YES),
    Variable("back_pain", Label("Back pain, n (%)", "背痛, n (%)"), "binary", YES),
    Variable("herniation_level",
             Label("Segment of the lumbar disc herniation, n (%)", "腰椎间盘突出节段, n (%)"),
             "nominal",
             tuple((v, Label(v.replace("-", "~"), v.replace("-", "~")))
                   for v in ("L2-3", "L3-4", "L4-5", "L5-S1"))),
    Variable("hypertension", Label("Hypertension, n (%)", "高血压病史, n (%)"), "binary", YES),
    Variable("diabetes", Label("Diabetes, n (%)", "糖尿病病史, n (%)"), "binary", YES),
    Variable("surgery_minutes",
             Label("Duration of surgery (minutes)", "手术时间（分钟）"), "continuous"),
    Variable("blood_loss_ml", Label("Intraoperative blood loss (ml)", "术中出血量 (ml)"),
             "continuous"),
    Variable("length_of_stay_days", Label("Length of stay (days)", "住院时间（天）"),
             "continuous"),
)  # fmt: skip

TABLE4 = (
    Variable("residual_low_back_pain",
             Label("Postoperative residual low back pain", "术后残留腰痛"), "binary", YES),
    Variable("recurrent_pain", Label("Recurrent pain", "疼痛反复"), "binary", YES),
    Variable("recurrence", Label("Relapse", "复发"), "binary", YES),
    Variable("serious_complication",
             Label("Serious complications", "严重并发症"), "binary", YES),
)  # fmt: skip

MACNAB = Variable(
    "macnab",
    Label("MacNab criteria", "MacNab 评定标准"),
    "ordinal",
    (
        ("excellent", Label("Excellent", "优")),
        ("good", Label("Good", "良")),
        ("fair", Label("Fair", "可")),
        ("poor", Label("Poor", "差")),
    ),
)

VAS = RepeatedMeasure("vas_leg", Label("VAS scores", "VAS 评分"), VAS_VISITS)

TABLES = (
    TableSpec(
        "table1",
        Label("Table 1. General data of patients in the two groups", "表 1 两组病人一般资料"),
        "characteristics",
        variables=TABLE1,
    ),
    TableSpec(
        "table2",
        Label("Table 2. Pain relief of patients in the two groups", "表 2 两组疼痛缓解情况"),
        "repeated_measure",
        measures=(VAS,),
    ),
    TableSpec(
        "table3",
        Label(
            "Table 3. Improvement of lumbar spine dysfunction and quality of life in the two "
            "groups",
            "表 3 两组腰椎功能障碍及生活质量改善情况",
        ),
        "measures_at_visits",
        measures=(
            RepeatedMeasure("joa", Label("JOA scores", "JOA 分数"), FOLLOW_UP),
            RepeatedMeasure("odi", Label("ODI scores", "ODI 指数"), FOLLOW_UP),
            RepeatedMeasure("sf36_total", Label("SF-36 scores", "SF-36 分数"), FOLLOW_UP),
        ),
    ),
    TableSpec(
        "table4",
        Label(
            "Table 4. The incidence of postoperative complications in the two groups",
            "表 4 两组术后并发症发生率",
        ),
        "events",
        variables=TABLE4,
        first_column=Label("Complications", "并发症"),
    ),
    TableSpec(
        "table5",
        Label("Table 5. The clinical efficacy of the two groups", "表 5 两组临床疗效"),
        "grades",
        variables=(MACNAB,),
        good=("excellent", "good"),
        good_label=Label("Excellent + good rate", "优良率"),
    ),
)

SNRB_PELD_PLAN = AnalysisPlan(
    protocol_code="snrb_peld",
    arms=("S", "P"),
    # The paper's own headings, which word the protocol's arm and visit labels differently
    # (the pinned report prints them); a plan without them gets the protocol's.
    arm_labels={"S": Label("S group", "S 组"), "P": Label("P group", "P 组")},
    visit_labels={
        "admission": Label("On admission", "入院时"),
        "preop": Label("Before surgery", "术前"),
        "postop_day_3": Label("3 days after surgery", "术后 3 天"),
        "month_3": Label("3 months after surgery", "术后 3 个月"),
    },
    baseline_visit="admission",
    tables=TABLES,
    mixed_model=ModelSpec(
        "vas_leg",
        Label(
            "VAS: arm difference at admission (arm × visit model)",
            "VAS：入院时组间差值（组别 × 时间模型）",
        ),
    ),  # fmt: skip
    figures=(
        FigureSpec(
            "vas_over_time",
            "vas_leg",
            Label("VAS over time (mean, 95% CI)", "各时间点 VAS 评分（均数，95% CI）"),
        ),
    ),
    treatment_forms={"S": ("snrb", "peld"), "P": ("peld",)},
    per_protocol_form=("month_3", "outcome"),
    per_protocol_text="Received the allocated treatment and has the 3-month form",
    # the paper's own analyses are Tables 1-5; this one is the SAP's addition
    adjusted_title=Label(
        "Primary outcome and adjusted analyses (beyond the paper)",
        "主要结局与校正分析（原文之外）",
    ),
    paper_iqr_centre="mean",  # SAP: the paper prints means in its "(Q1, Q3)" rows
    primary=PrimaryOutcome(
        "vas_leg",
        "postop_day_3",
        0.0,
        Label("Complete pain relief at post-op day 3 (VAS = 0)", "术后 3 天疼痛完全缓解 (VAS = 0)"),
    ),  # fmt: skip
    baseline_p_values="paper",  # the published layout; "omit" follows CONSORT item 15
    sample_size_inputs={
        "p1": 0.43,
        "p2": 0.80,
        "alpha": 0.05,
        "power": 0.90,
        "ratio": 1.0,
        "dropout": 0.10,
    },  # fmt: skip
)
