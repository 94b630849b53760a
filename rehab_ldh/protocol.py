"""The second trial: early supervised rehabilitation (arm R) versus usual care (arm U) after
percutaneous endoscopic lumbar discectomy (PELD), randomized 2:1 at hospital discharge.

Clinical design (this project's own worked example, plausible but not a published trial):
adults after a single-level PELD for lumbar disc herniation are randomized on the day they
leave hospital, two to the supervised programme for every one to usual care (more patients
learn the programme; the comparison keeps power with 150 participants, 100:50). Arm R:
physiotherapist-supervised core-stabilisation and graded walking, twice a week for 12 weeks
(24 sessions) from week 1; arm U: the ward's written advice leaflet and follow-up by the
surgeon. Visits count from randomization (day 0): week 2 (day 14, ± 3), week 6 (day 42,
± 7), month 3 (day 90, ± 14) and month 6 (day 180, ± 21); the baseline forms are filled
before randomization, from the registration day. Pain VAS, ODI and EQ-5D-5L at baseline and
at every follow-up; rehabilitation adherence (sessions attended of those planned since the
previous visit) for arm R at weeks 2 and 6 and month 3 — it reveals the arm, so the blinded
outcome assessor never sees it; adverse events in a log (their relation to the programme is
arm-revealing). Primary outcome: ODI at month 3.
"""

from trial.protocol import (
    AgeAt,
    AnchorDef,
    AnchorEvent,
    Arm,
    Choice,
    Criterion,
    CriterionKind,
    Dashboard,
    DashboardMeasure,
    Epro,
    FormDef,
    IdentityCheck,
    PatientForm,
    Protocol,
    StratificationFactor,
    Text,
    VariableSpec,
    VisitDef,
)

CODE = "rehab_ldh"
INC, EXC = CriterionKind.INCLUSION, CriterionKind.EXCLUSION

CRITERIA = (
    Criterion("age_18_70", INC, Text("Aged 18 to 70 years", "年龄 18～70 岁")),
    Criterion(
        "single_level_peld",
        INC,
        Text(
            "Single-level PELD for lumbar disc herniation during this admission",
            "本次住院因腰椎间盘突出症行单节段经皮内镜腰椎间盘切除术 (PELD)",
        ),
    ),
    Criterion(
        "can_attend",
        INC,
        Text(
            "Able to attend outpatient sessions twice a week for 12 weeks",
            "能够在 12 周内每周两次到门诊参加康复训练",
        ),
    ),
    Criterion(
        "surgical_complication",
        EXC,
        Text(
            "A surgical complication before discharge (dural tear, haematoma, new deficit)",
            "出院前出现手术并发症（硬脊膜撕裂、血肿、新发神经功能障碍）",
        ),
    ),
    Criterion(
        "instability",
        EXC,
        Text(
            "Lumbar instability or spondylolisthesis",
            "腰椎不稳或腰椎滑脱",
        ),
    ),
    Criterion(
        "exercise_contraindicated",
        EXC,
        Text(
            "A condition that rules out exercise (heart, lung, joint disease) or pregnancy",
            "存在不宜运动的疾病（心、肺、关节疾病）或妊娠",
        ),
    ),
)

VAS_VARIABLES = (
    VariableSpec("leg_vas", "vas_leg", Text("Leg-pain VAS 0–10", "腿痛 VAS 0–10"), measure=True),
    VariableSpec("back_vas", "vas_back", Text("Back-pain VAS 0–10", "腰痛 VAS 0–10"), measure=True),
)

FORMS = (
    FormDef(
        "baseline",
        Text("Baseline characteristics", "基线资料"),
        "rehab_ldh.RehabBaselineData",
        variables=(
            VariableSpec("bmi", label=Text("Body mass index, kg/m²", "体重指数，kg/m²")),
            VariableSpec("operated_level", level="nominal"),
        ),
        definitions=(
            (
                "days_surgery_to_randomization",
                Text(
                    "Whole days from the day of the PELD to the day of randomization "
                    "(the discharge day).",
                    "从 PELD 手术当天至随机化（出院）当天的整天数。",
                ),
            ),
        ),
    ),
    FormDef(
        "vas",
        Text("Pain (VAS)", "疼痛评分 (VAS)"),
        "trial.PainVasData",
        instrument="vas",
        variables=VAS_VARIABLES,
    ),
    FormDef(
        "odi",
        Text("Oswestry Disability Index", "Oswestry 功能障碍指数"),
        "trial.OdiData",
        instrument="odi",
        variables=(
            VariableSpec(
                "scores.percent", "odi", Text("ODI percent 0–100", "ODI 百分比 0–100"), measure=True
            ),
        ),
    ),
    FormDef(
        "eq5d5l",
        Text("EQ-5D-5L", "EQ-5D-5L 健康量表"),
        "trial.Eq5d5lData",
        instrument="eq5d5l",
        variables=(
            VariableSpec("eq_vas", "eq_vas", Text("EQ VAS 0–100", "EQ VAS 0–100"), measure=True),
            VariableSpec(
                "scores.level_sum",
                "eq5d_level_sum",
                Text("EQ-5D-5L level sum score 5–25", "EQ-5D-5L 水平总分 5–25"),
                measure=True,
            ),
            VariableSpec(
                "scores.profile",
                "eq5d_profile",
                Text("EQ-5D-5L health state (profile)", "EQ-5D-5L 健康状态（五维描述编码）"),
            ),
        ),
    ),
    FormDef(
        "adherence",
        Text("Rehabilitation adherence", "康复训练依从性"),
        "rehab_ldh.AdherenceData",
        arms=frozenset({"R"}),
        variables=(
            # (the default ``adherence_assessment_date_month_3`` is too long for Stata)
            VariableSpec(
                "assessment_date",
                "adherence_date",
                Text("Date of the adherence review", "依从性核查日期"),
            ),
            VariableSpec(
                "sessions_attended",
                label=Text("Supervised sessions attended", "参加的监督康复训练次数"),
            ),
        ),
        definitions=(
            (
                "sessions_planned",
                Text(
                    "Supervised sessions scheduled since the previous visit (two a week).",
                    "自上次访视以来安排的监督康复训练次数（每周两次）。",
                ),
            ),
        ),
    ),
    FormDef(
        "adverse_event",
        Text("Adverse event", "不良事件"),
        "rehab_ldh.RehabAdverseEventData",
        repeating=True,
        date_field="onset_date",
        blinded_fields=("relation",),
        free_text_fields=("term",),
    ),
)

# Registration dates the baseline; every follow-up counts from randomization (discharge).
ANCHORS = (
    AnchorDef(
        "registration",
        Text("registration", "登记"),
        event=AnchorEvent.REGISTRATION,
        entered=True,
    ),
    AnchorDef("randomization", Text("randomization", "随机化"), event=AnchorEvent.RANDOMIZATION),
)

FOLLOW_UP = ("vas", "odi", "eq5d5l")
VISITS = (
    VisitDef(
        "baseline",
        Text("Baseline (before randomization)", "基线（随机化前）"),
        "registration",
        0,
        0,
        3,
        ("baseline", *FOLLOW_UP),
        before_randomization=True,
    ),
    VisitDef(
        "week_2",
        Text("Week 2", "第 2 周"),
        "randomization",
        14,
        3,
        3,
        (*FOLLOW_UP, "adherence"),
    ),
    VisitDef(
        "week_6",
        Text("Week 6", "第 6 周"),
        "randomization",
        42,
        7,
        7,
        (*FOLLOW_UP, "adherence"),
    ),
    VisitDef(
        "month_3",
        Text("Month 3", "第 3 个月"),
        "randomization",
        90,
        14,
        14,
        (*FOLLOW_UP, "adherence"),
    ),
    VisitDef("month_6", Text("Month 6", "第 6 个月"), "randomization", 180, 21, 21, FOLLOW_UP),
)

EPRO = Epro(
    forms=(
        PatientForm(
            "vas",
            Text(
                "Mark on each line how much pain you have: the left end means no pain, the "
                "right end the worst pain you can imagine.",
                "请在每条线上标出您的疼痛程度：最左端表示无痛，最右端表示您能想象的最剧烈的疼痛。",
            ),
            Text("Your pain now, today.", "您现在（今天）的疼痛。"),
        ),
        PatientForm(
            "odi",
            Text(
                "In each section, choose the one statement that best describes how your back "
                "or leg pain affects your everyday life.",
                "每一项请选择一个最符合腰背痛或腿痛对您日常生活影响的描述。",
            ),
            Text("How you are today.", "您今天的情况。"),
        ),
        PatientForm(
            "eq5d5l",
            Text(
                "Under each heading, tick the one box that best describes your health today; "
                "then rate your health today from 0 (the worst) to 100 (the best you can "
                "imagine).",
                "请在每个标题下选择最能描述您今天健康状况的一项；然后为您今天的健康状况打分，"
                "0 表示最差，100 表示您能想象的最好。",
            ),
            Text("Your health today.", "您今天的健康状况。"),
        ),
    ),
    identity=IdentityCheck(
        "birth_year",
        Text(
            "In which year were you born? (4 digits, e.g. 1968)",
            "您出生于哪一年？（4 位数字，如 1968）",
        ),
        form="baseline",
        field="date_of_birth",
    ),
)

DASHBOARD = Dashboard(
    measures=(
        DashboardMeasure("odi", "odi", Text("ODI", "ODI"), Text("ODI (0–100)", "ODI（0–100）")),
        DashboardMeasure(
            "eq_vas", "eqvas", Text("EQ VAS", "EQ VAS"), Text("EQ VAS (0–100)", "EQ VAS（0–100）")
        ),
    ),
    outcome_title=Text(
        "Outcome trend: disability and health (0–100)", "结局趋势：功能障碍与健康状况（0–100）"
    ),
    outcome_chart_title=Text("Mean ODI and EQ VAS by visit", "各访视 ODI 和 EQ VAS 的均值"),
    outcome_empty=Text(
        "No complete ODI or EQ-5D-5L forms yet.", "尚无已完成的 ODI 或 EQ-5D-5L 表单。"
    ),
    scale_max=100,
    events_form="adverse_event",
    serious_flag="serious",
    grade="severity",
    grade_caption=Text("Adverse events by CTCAE grade", "按 CTCAE 分级的不良事件"),
)

REHAB_LDH = Protocol(
    code=CODE,
    version="1.0",
    # its participants are RH-S01-0001, ...: numbered apart from other trials at a site
    participant_id_prefix="RH",
    title=Text(
        "Early supervised rehabilitation versus usual care after percutaneous endoscopic "
        "lumbar discectomy",
        "经皮内镜腰椎间盘切除术后早期监督康复与常规护理的随机对照试验",
    ),
    arms=(
        Arm(
            "R",
            Text("R: supervised rehabilitation", "R 组：监督康复"),
            Text(
                "Physiotherapist-supervised rehabilitation twice a week for 12 weeks",
                "康复治疗师监督下的康复训练，每周两次，共 12 周",
            ),
            ratio=2,
        ),
        Arm(
            "U",
            Text("U: usual care", "U 组：常规护理"),
            Text("The ward's written advice and surgeon follow-up", "病房书面指导及术者随访"),
            ratio=1,
        ),
    ),
    visits=VISITS,
    forms=FORMS,
    criteria=CRITERIA,
    complications=(
        Choice("recurrent_herniation", Text("Recurrent herniation", "椎间盘再突出")),
        Choice("wound_problem", Text("Wound problem", "切口问题")),
        Choice("fall_or_injury", Text("Fall or injury during exercise", "训练中跌倒或受伤")),
        Choice("other", Text("Other", "其他")),
    ),
    consent_versions=("1.0",),
    target_sample_size=150,
    logs=("adverse_event",),
    bmi_range=None,
    anchors=ANCHORS,
    epro=EPRO,
    # the age at randomization, from the baseline form's date of birth
    age=AgeAt("age_years", form="baseline", field="date_of_birth", anchor="randomization"),
    dashboard=DASHBOARD,
    stratification_factors=(
        StratificationFactor("site", Text("Site", "站点")),
        StratificationFactor(
            "operated_level",
            Text("Operated level", "手术节段"),
            form="baseline",
            field="operated_level",
        ),
    ),
)
