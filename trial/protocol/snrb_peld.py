"""The first protocol shipped: selective nerve root block the day before PELD (arm S) versus
PELD alone (arm P), 1:1, single-level lumbar disc herniation with radicular pain.

Source: the trial paper (docs/design.md, "The seed trial"), Methods 1–5: eligibility
criteria, the SNRB the day before surgery, VAS at admission, pre-op, post-op day 3 and
3 months; JOA, ODI and SF-36 at admission and 3 months; complications and MacNab grade
at 3 months; sample size 74 (37 per arm).
"""

from .schema import (
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

INC, EXC = CriterionKind.INCLUSION, CriterionKind.EXCLUSION

CRITERIA = (
    Criterion("age_18_80", INC, Text("Aged 18 to 80 years", "年龄 18～80 岁")),
    Criterion(
        "single_level_ldh",
        INC,
        Text(
            "Clinically diagnosed single-level lumbar disc herniation",
            "临床确诊为单节段腰椎间盘突出症",
        ),
    ),
    Criterion(
        "unilateral_radicular_pain",
        INC,
        Text(
            "Unilateral radiating leg pain, with or without low back pain",
            "单侧下肢放射性疼痛，伴或不伴有腰痛",
        ),
    ),
    Criterion(
        "imaging_concordant",
        INC,
        Text(
            "Imaging (MRI, CT) confirms the herniation and the level matches symptoms and signs",
            "影像学诊断（MRI、CT 等）明确，且突出节段与症状、体征相符合",
        ),
    ),
    Criterion(
        "conservative_failed",
        INC,
        Text(
            "At least 3 months of conservative treatment without adequate effect",
            "经 3 个月以上保守治疗效果不佳",
        ),
    ),
    Criterion(
        "instability_or_other_spinal_disease",
        EXC,
        Text(
            "Lumbar instability, spondylolisthesis or another spinal disease",
            "存在腰椎不稳及腰椎滑脱等其他脊柱疾病",
        ),
    ),
    Criterion(
        "cauda_equina",
        EXC,
        Text("Signs of cauda equina injury", "存在马尾神经损伤表现"),
    ),
    Criterion(
        "mass_infection_joint_disease",
        EXC,
        Text(
            "Intraspinal mass, infection, or joint disease of the lower limbs",
            "合并椎管内占位、感染或下肢关节疾病",
        ),
    ),
    Criterion(
        "bmi_out_of_range",
        EXC,
        Text(
            "Body mass index below 18.5 or above 30 kg/m² (affects block dosing)",
            "体重指数 < 18.5 kg/m² 或 > 30 kg/m²（影响阻滞药物定量）",
        ),
    ),
    Criterion(
        "unfit_for_surgery",
        EXC,
        Text("Poor general condition, cannot tolerate surgery", "基础状况差，无法耐受手术"),
    ),
    Criterion(
        "unclear_diagnosis",
        EXC,
        Text("Unclear diagnosis or incomplete information", "诊断不明确/信息不完整"),
    ),
    Criterion(
        "refuses_peld",
        EXC,
        Text("Refuses PELD surgery for personal reasons", "因自身原因拒绝行 PELD 手术治疗"),
    ),
)

FORMS = (
    FormDef(
        "baseline",
        Text("Baseline characteristics", "基线资料"),
        "trial.BaselineData",
        variables=(
            VariableSpec("bmi", label=Text("Body mass index, kg/m²", "体重指数，kg/m²")),
            VariableSpec("pfirrmann_grade", level="ordinal"),
            VariableSpec(
                "weakness",
                label=Text("Weakness (the paper's 'fatigue')", "乏力（论文中的“乏力”）"),
            ),
        ),
        definitions=(
            (
                "bmi",
                Text(
                    "Body mass index: weight in kg divided by the square of height in m, "
                    "from weight and height measured at admission.",
                    "体重指数：入院时测得的体重（kg）除以身高（m）的平方。",
                ),
            ),
            (
                "herniation_level",
                Text(
                    "The single lumbar level of the herniation that causes the symptoms, as "
                    "confirmed by MRI or CT and matching the symptoms and signs.",
                    "引起症状的单一腰椎间盘突出节段，经 MRI 或 CT 确认且与症状、体征相符。",
                ),
            ),
            (
                "pfirrmann_grade",
                Text(
                    "Disc degeneration on T2-weighted MRI of the herniated disc, "
                    "Pfirrmann grade I (normal) to V (collapsed disc).",
                    "突出椎间盘在 MRI T2 加权像上的退变程度，Pfirrmann 分级 I 级（正常）至 V 级"
                    "（椎间隙塌陷）。",
                ),
            ),
        ),
    ),
    FormDef(
        "vas",
        Text("Pain (VAS)", "疼痛评分 (VAS)"),
        "trial.PainVasData",
        instrument="vas",
        variables=(
            VariableSpec(
                "leg_vas", "vas_leg", Text("Leg-pain VAS 0–10", "腿痛 VAS 0–10"), measure=True
            ),
            VariableSpec(
                "back_vas", "vas_back", Text("Back-pain VAS 0–10", "腰痛 VAS 0–10"), measure=True
            ),
        ),
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
        "joa",
        Text("JOA low back pain score", "JOA 下腰痛评分"),
        "trial.JoaData",
        instrument="joa",
        variables=(
            VariableSpec(
                "scores.total", "joa", Text("JOA total 0–29", "JOA 总分 0–29"), measure=True
            ),
        ),
    ),
    FormDef(
        "sf36",
        Text("SF-36", "SF-36 健康调查简表"),
        "trial.Sf36Data",
        instrument="sf36",
        variables=(
            VariableSpec(
                "scores.raw_total_8scales",
                "sf36_total",
                Text(
                    "SF-36 raw total of the 8 scales (the paper's 'SF-36 score')",
                    "SF-36 八个维度原始分合计（论文中的“SF-36 评分”）",
                ),
                measure=True,
            ),
            VariableSpec(
                "scores.pcs",
                "sf36_pcs",
                Text(
                    "SF-36 physical component summary (1990 norms)",
                    "SF-36 生理健康总评（1990 年常模）",
                ),
                measure=True,
            ),
            VariableSpec(
                "scores.mcs",
                "sf36_mcs",
                Text(
                    "SF-36 mental component summary (1990 norms)",
                    "SF-36 心理健康总评（1990 年常模）",
                ),
                measure=True,
            ),
        ),
    ),
    FormDef(
        "snrb",
        Text("Selective nerve root block", "选择性神经根阻滞"),
        "trial.SnrbData",
        arms=frozenset({"S"}),
        date_field="performed_at",
        definitions=(
            (
                "ct_guided",
                Text(
                    "The needle tip position at the exit of the affected nerve root (outer "
                    "opening of the foramen) was confirmed by a CT scan before injecting.",
                    "注射前经 CT 扫描确认针尖位于病变神经根出口处（椎间孔外口）。",
                ),
            ),
            (
                "aspiration_negative",
                Text(
                    "The syringe was aspirated before injecting and drew no blood.",
                    "注射前回抽注射器，无回血。",
                ),
            ),
            (
                "volume_injected_ml",
                Text(
                    "Volume of the mixture injected at the nerve root, in ml.",
                    "在神经根处注入的混合液总量，单位 ml。",
                ),
            ),
            (
                "immediate_reaction",
                Text(
                    "Any reaction of the patient during or right after the block, before "
                    "returning to the ward.",
                    "阻滞中或阻滞后返回病房前病人出现的任何反应。",
                ),
            ),
        ),
    ),
    FormDef(
        "peld",
        Text("PELD surgery", "经皮椎间孔镜手术 (PELD)"),
        "trial.PeldData",
        date_field="surgery_date",
        free_text_fields=("event_details",),
        variables=(
            VariableSpec(
                "duration_minutes",
                "surgery_minutes",
                Text("Duration of the PELD surgery, minutes", "PELD 手术时间（分钟）"),
            ),
        ),
        definitions=(
            (
                "approach",
                Text(
                    "Transforaminal: through the intervertebral foramen; interlaminar: "
                    "between the laminae.",
                    "经椎间孔入路：经椎间孔进入；经椎板间入路：经椎板间隙进入。",
                ),
            ),
            (
                "foraminoplasty",
                Text(
                    "The foramen was enlarged (bone removed with a trephine or reamer) to pass "
                    "the working cannula.",
                    "术中扩大椎间孔（用环锯或骨钻去除骨质）以置入工作套管。",
                ),
            ),
            (
                "duration_minutes",
                Text(
                    "From skin puncture to skin closure, in minutes.",
                    "自皮肤穿刺至缝合皮肤的时间，单位分钟。",
                ),
            ),
            (
                "blood_loss_ml",
                Text(
                    "Estimated intra-operative blood loss in ml, as in the operation record.",
                    "手术记录中估计的术中出血量，单位 ml。",
                ),
            ),
        ),
    ),
    FormDef(
        "discharge",
        Text("Discharge", "出院"),
        "trial.DischargeData",
        definitions=(
            (
                "mri_done",
                Text(
                    "A lumbar MRI was repeated before discharge to confirm the decompression.",
                    "出院前复查腰椎 MRI 以确认手术减压效果。",
                ),
            ),
            (
                "decompression_complete",
                Text(
                    "The discharge MRI shows the herniated disc removed and the nerve root "
                    "decompressed.",
                    "出院前 MRI 显示突出的椎间盘已摘除、神经根已减压。",
                ),
            ),
        ),
    ),
    FormDef(
        "outcome",
        Text("3-month outcome", "术后 3 个月结局"),
        "trial.OutcomeData",
        instrument="macnab",
        free_text_fields=("serious_complication_details",),
        variables=(
            VariableSpec(
                "recurrence_mri_confirmed",
                "recurrence",
                Text("Recurrence confirmed by MRI", "MRI 证实复发"),
            ),
            VariableSpec(
                "had_serious_complication",
                "serious_complication",
                Text("Any serious complication", "任何严重并发症"),
            ),
            VariableSpec("serious_complications", code_list="complications"),
            VariableSpec("macnab", level="ordinal"),
        ),
        definitions=(
            (
                "residual_low_back_pain",
                Text(
                    "Persistent low back pain, discomfort or stiffness after the surgery.",
                    "术后腰部的持续疼痛、不适和僵硬。",
                ),
            ),
            (
                "recurrent_pain",
                Text(
                    "Low back or leg pain that was cured or relieved by the surgery and came "
                    "back or worsened.",
                    "术前腰腿疼痛经手术痊愈或缓解后再次出现或加重。",
                ),
            ),
            (
                "recurrence_mri_confirmed",
                Text(
                    "Recurrence of the herniation: symptoms came back and a new MRI, compared "
                    "with the postoperative images, shows the disc herniated again.",
                    "腰椎间盘突出复发：症状反复，复查 MRI 与术后影像结果对比提示再突出。",
                ),
            ),
            (
                "had_serious_complication",
                Text(
                    "Other serious complications, such as epidural haematoma, dural tear, "
                    "disc space infection or nerve root injury.",
                    "其他严重并发症，如硬膜外血肿、硬脊膜破坏、椎间隙感染、神经根损伤等。",
                ),
            ),
        ),
    ),
    FormDef(
        "medication",
        Text("Concomitant medication", "合并用药"),
        "trial.MedicationData",
        repeating=True,
        free_text_fields=("other_drug_name",),
        date_field="start_date",
    ),
    FormDef(
        "adverse_event",
        Text("Adverse event", "不良事件"),
        "trial.AdverseEventData",
        repeating=True,
        date_field="onset_date",
        blinded_fields=("relation",),
        free_text_fields=("term", "description"),
    ),
)

# Visits count from admission (the registration date) and from the surgery: its planned day
# is entered on the participant's dates page, and the surgery record's date replaces it.
ANCHORS = (
    AnchorDef("admission", Text("admission", "入院"), event=AnchorEvent.REGISTRATION, entered=True),
    AnchorDef(
        "surgery",
        Text("surgery", "手术"),
        form="peld",
        field="surgery_date",
        entered=True,
        not_before="admission",
    ),
)

VISITS = (
    VisitDef(
        "admission",
        Text("Admission", "入院"),
        "admission",
        0,
        0,
        3,
        ("baseline", "vas", "odi", "joa", "sf36"),
        before_randomization=True,
    ),
    VisitDef(
        "snrb",
        Text("SNRB (day before surgery)", "SNRB（术前 1 天）"),
        "surgery",
        -1,
        0,
        0,
        ("snrb",),
        arms=frozenset({"S"}),
    ),
    VisitDef("preop", Text("Pre-op", "术前"), "surgery", 0, 0, 0, ("vas",)),
    VisitDef("surgery", Text("PELD surgery", "PELD 手术"), "surgery", 0, 0, 0, ("peld",)),
    VisitDef(
        "postop_day_3",
        Text("Post-op day 3 / discharge", "术后第 3 天/出院"),
        "surgery",
        3,
        1,
        1,
        ("vas", "discharge"),
    ),
    VisitDef(
        "month_3",
        Text("3 months after surgery", "术后 3 个月"),
        "surgery",
        90,
        14,
        14,
        ("vas", "odi", "joa", "sf36", "outcome"),
    ),
)

# Patient-reported forms the participant may complete on a phone or clinic tablet (ePRO).
# JOA is not offered: its subjective part shares one form with the examiner's clinical
# signs, and a form is saved and scored whole.
EPRO = Epro(
    forms=(
        PatientForm(
            "vas",
            Text(
                "Mark on each line how much pain you have: the left end means no pain, the "
                "right end the worst pain you can imagine. Tap or drag on the line; the "
                "number you chose is shown.",
                "请在每条线上标出您的疼痛程度：最左端表示无痛，最右端表示您能想象的最剧烈的疼痛。"
                "在线上点按或拖动，会显示您选择的数值。",
            ),
            Text("Your pain now, today.", "您现在（今天）的疼痛。"),
        ),
        PatientForm(
            "odi",
            Text(
                "This questionnaire asks how your back or leg pain affects your ability to "
                "manage in everyday life. In each section, choose the one statement that "
                "best describes your problem. If two statements seem to fit, choose the one "
                "that more closely describes your problem.",
                "本问卷了解腰背痛或腿痛对您日常生活能力的影响。每一项请选择一个最符合您情况的描述；"
                "如果有两个描述都符合，请选择更接近您情况的那一个。",
            ),
            Text("How you are today.", "您今天的情况。"),
        ),
        PatientForm(
            "sf36",
            Text(
                "This survey asks for your views about your health. This information will "
                "help keep track of how you feel and how well you are able to do your usual "
                "activities. Answer every question by choosing the answer as indicated. If "
                "you are unsure about how to answer a question, please give the best answer "
                "you can.",
                "下面的问题是要了解您对自己健康状况的看法、您的感觉如何以及您进行日常活动的能力如何。"
                "请按说明回答每一个问题。如果您对某个问题不能肯定如何回答，请尽量给出最好的答案。",
            ),
            Text(
                "Most questions ask about the past 4 weeks.",
                "大多数问题问的是过去 4 个星期的情况。",
            ),
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

# The dashboard follows both pain scores and grades adverse events by Clavien-Dindo.
DASHBOARD = Dashboard(
    measures=(
        DashboardMeasure("vas_leg", "leg", Text("leg", "腿"), Text("Leg pain", "腿痛")),
        DashboardMeasure("vas_back", "back", Text("back", "腰"), Text("Back pain", "腰痛")),
    ),
    outcome_title=Text("Outcome trend: pain (VAS 0–10)", "结局趋势：疼痛（VAS 0–10）"),
    outcome_chart_title=Text("Mean leg and back pain by visit", "各访视腿痛和腰痛的均值"),
    outcome_caption=Text(
        "Mean (SD) leg and back pain of randomized participants, complete forms only; n = forms.",
        "已随机化受试者腿痛和腰痛的均值（标准差），仅统计已完成的表单；n = 表单数。",
    ),
    outcome_empty=Text("No complete pain forms yet.", "尚无已完成的疼痛表单。"),
    scale_max=10,
    events_form="adverse_event",
    serious_flag="serious",
    grade="clavien_dindo",
    grade_caption=Text("Adverse events by Clavien-Dindo grade", "按 Clavien-Dindo 分级的不良事件"),
)

SNRB_PELD = Protocol(
    code="snrb_peld",
    version="1.0",
    title=Text(
        "Selective nerve root block before percutaneous endoscopic lumbar discectomy",
        "术前选择性神经根阻滞对经皮椎间孔镜下腰椎间盘髓核切除术疗效的影响",
    ),
    arms=(
        Arm(
            "S",
            Text("S: SNRB + PELD", "S 组：SNRB + PELD"),
            Text(
                "Selective nerve root block the day before PELD",
                "PELD 术前 1 天行选择性神经根阻滞",
            ),
        ),
        Arm(
            "P",
            Text("P: PELD only", "P 组：仅 PELD"),
            Text("Percutaneous endoscopic lumbar discectomy alone", "仅行经皮椎间孔镜手术"),
        ),
    ),
    visits=VISITS,
    forms=FORMS,
    criteria=CRITERIA,
    complications=(
        Choice("epidural_haematoma", Text("Epidural haematoma", "硬膜外血肿")),
        Choice("dural_tear", Text("Dural tear", "硬脊膜破裂")),
        Choice("disc_space_infection", Text("Disc space infection", "椎间隙感染")),
        Choice("nerve_root_injury", Text("Nerve root injury", "神经根损伤")),
        Choice("other", Text("Other serious complication", "其他严重并发症")),
    ),
    consent_versions=("1.0",),
    target_sample_size=74,
    logs=("medication", "adverse_event"),
    bmi_range=(18.5, 30.0),
    # Comparative results by arm go to the unblinded statistician and the data
    # monitoring committee only; site staff see pooled figures while the trial runs.
    comparative_roles=frozenset({"statistician", "dmc_member"}),
    anchors=ANCHORS,
    epro=EPRO,
    # the age at admission, from the baseline form's date of birth
    age=AgeAt("age_years", form="baseline", field="date_of_birth", anchor="admission"),
    dashboard=DASHBOARD,
    stratification_factors=(
        StratificationFactor("site", Text("Site", "站点")),
        StratificationFactor(
            "herniation_level",
            Text("Level of the disc herniation", "腰椎间盘突出节段"),
            form="baseline",
            field="herniation_level",
        ),
    ),
)
