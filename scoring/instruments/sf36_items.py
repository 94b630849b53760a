"""SF-36 v1 form: items ``sf36_1`` … ``sf36_36`` in standard numbering, sections, labels.

English wording: RAND 36-Item Health Survey 1.0 (public domain; RAND Health, "36-Item
Short Form Survey Instrument"). Chinese wording: the Chinese (mainland) SF-36 v1 as
reproduced in docs/instruments.md §4.1 and its sources. Answers are stored as the precoded
value printed on the form (1 = first option …); :mod:`scoring.instruments.sf36` recodes.
"""

from __future__ import annotations

from scoring.base import Choice, Item, Section

Labels = tuple[tuple[str, str], ...]

# fmt: off
GENERAL_HEALTH: Labels = (
    ("Excellent", "非常好"), ("Very good", "很好"), ("Good", "好"), ("Fair", "一般"),
    ("Poor", "差"),
)
TRANSITION: Labels = (
    ("Much better now than one year ago", "比1年前好多了"),
    ("Somewhat better now than one year ago", "比1年前好一些"),
    ("About the same", "跟1年前差不多"),
    ("Somewhat worse now than one year ago", "比1年前差一些"),
    ("Much worse now than one year ago", "比1年前差多了"),
)
LIMITED: Labels = (
    ("Yes, limited a lot", "限制很大"), ("Yes, limited a little", "有些限制"),
    ("No, not limited at all", "毫无限制"),
)
YES_NO: Labels = (("Yes", "是"), ("No", "不是"))
EXTENT: Labels = (
    ("Not at all", "完全没有影响"), ("Slightly", "有一点影响"), ("Moderately", "中等影响"),
    ("Quite a bit", "影响很大"), ("Extremely", "影响非常大"),
)
PAIN: Labels = (
    ("None", "完全没有疼痛"), ("Very mild", "稍微有一点疼痛"), ("Mild", "有一点疼痛"),
    ("Moderate", "中等疼痛"), ("Severe", "严重疼痛"), ("Very severe", "很严重疼痛"),
)
INTERFERENCE: Labels = (
    ("Not at all", "完全没有影响"), ("A little bit", "有一点影响"), ("Moderately", "中等影响"),
    ("Quite a bit", "影响很大"), ("Extremely", "影响非常大"),
)
TIME_6: Labels = (
    ("All of the time", "所有的时间"), ("Most of the time", "大部分时间"),
    ("A good bit of the time", "比较多时间"), ("Some of the time", "一部分时间"),
    ("A little of the time", "小部分时间"), ("None of the time", "没有这种感觉"),
)
TIME_5: Labels = (
    ("All of the time", "所有的时间"), ("Most of the time", "大部分时间"),
    ("Some of the time", "一部分时间"), ("A little of the time", "小部分时间"),
    ("None of the time", "没有这种情况"),
)
TRUE_FALSE: Labels = (
    ("Definitely true", "绝对正确"), ("Mostly true", "大部分正确"), ("Don't know", "不能肯定"),
    ("Mostly false", "大部分错误"), ("Definitely false", "绝对错误"),
)

SECTIONS: tuple[Section, ...] = (
    Section("health", "Your health", "总体健康"),
    Section(
        "activities", "Health and daily activities", "健康和日常活动",
        "The following items are about activities you might do during a typical day. Does "
        "your health now limit you in these activities? If so, how much?",
        "以下这些问题都和日常活动有关。请您想一想，您的健康状况是否限制了这些活动？如果有限制，程度如何？",
    ),
    Section(
        "role_physical", "Problems caused by your physical health", "身体健康原因造成的问题",
        "During the past 4 weeks, have you had any of the following problems with your work "
        "or other regular daily activities as a result of your physical health?",
        "在过去4个星期里，您的工作和日常活动有无因为身体健康的原因而出现以下这些问题？",
    ),
    Section(
        "role_emotional", "Problems caused by emotional problems", "情绪原因造成的问题",
        "During the past 4 weeks, have you had any of the following problems with your work "
        "or other regular daily activities as a result of any emotional problems (such as "
        "feeling depressed or anxious)?",
        "在过去4个星期里，您的工作和日常活动有无因为情绪的原因（如压抑或忧虑）而出现以下这些问题？",
    ),
    Section("social_pain", "Social activities and pain", "社会交往和身体疼痛"),
    Section(
        "feelings", "Your feelings", "您的感觉",
        "These questions are about how you feel and how things have been with you during the "
        "past 4 weeks. For each question, please give the one answer that comes closest to "
        "the way you have been feeling. How much of the time during the past 4 weeks…",
        "以下这些问题是关于过去1个月里您自己的感觉，对每一条问题所说的事情，您的情况是什么样的？",
    ),
    Section("social_time", "Social activities", "社会活动"),
    Section(
        "health_beliefs", "Your health in general", "总体健康情况",
        "How TRUE or FALSE is each of the following statements for you?",
        "请看下列每一条问题，哪一种答案最符合您的情况？",
    ),
)

# (number on the form, section, English, Chinese, answer labels)
_ITEMS: tuple[tuple[str, str, str, str, Labels], ...] = (
    ("1", "health", "In general, would you say your health is:", "总体来讲，您的健康状况是：",
     GENERAL_HEALTH),
    ("2", "health", "Compared to one year ago, how would you rate your health in general now?",
     "跟1年以前比，您觉得自己的健康状况是：", TRANSITION),
    ("3a", "activities", "Vigorous activities, such as running, lifting heavy objects, "
     "participating in strenuous sports", "重体力活动，如跑步、举重、参加剧烈运动等", LIMITED),
    ("3b", "activities", "Moderate activities, such as moving a table, pushing a vacuum "
     "cleaner, bowling, or playing golf",
     "适度的活动，如移动一张桌子、扫地、打太极拳、做简单体操等", LIMITED),
    ("3c", "activities", "Lifting or carrying groceries", "手提日用品，如买菜、购物等", LIMITED),
    ("3d", "activities", "Climbing several flights of stairs", "上几层楼梯", LIMITED),
    ("3e", "activities", "Climbing one flight of stairs", "上一层楼梯", LIMITED),
    ("3f", "activities", "Bending, kneeling, or stooping", "弯腰、屈膝、下蹲", LIMITED),
    ("3g", "activities", "Walking more than a mile", "步行1500米以上的路程", LIMITED),
    ("3h", "activities", "Walking several blocks", "步行1000米的路程", LIMITED),
    ("3i", "activities", "Walking one block", "步行100米的路程", LIMITED),
    ("3j", "activities", "Bathing or dressing yourself", "自己洗澡、穿衣", LIMITED),
    ("4a", "role_physical", "Cut down the amount of time you spent on work or other "
     "activities", "减少了工作或其他活动时间", YES_NO),
    ("4b", "role_physical", "Accomplished less than you would like",
     "本来想要做的事情只能完成一部分", YES_NO),
    ("4c", "role_physical", "Were limited in the kind of work or other activities",
     "想要干的工作或活动种类受到限制", YES_NO),
    ("4d", "role_physical", "Had difficulty performing the work or other activities (for "
     "example, it took extra effort)", "完成工作或其他活动困难增多（比如需要额外的努力）", YES_NO),
    ("5a", "role_emotional", "Cut down the amount of time you spent on work or other "
     "activities", "减少了工作或活动时间", YES_NO),
    ("5b", "role_emotional", "Accomplished less than you would like",
     "本来想要做的事情只能完成一部分", YES_NO),
    ("5c", "role_emotional", "Didn't do work or other activities as carefully as usual",
     "干事情不如平时仔细", YES_NO),
    ("6", "social_pain", "During the past 4 weeks, to what extent has your physical health "
     "or emotional problems interfered with your normal social activities with family, "
     "friends, neighbors, or groups?",
     "在过去4个星期里，您的健康或情绪不好在多大程度上影响了您与家人、朋友、邻居或集体的正常社会交往？",
     EXTENT),
    ("7", "social_pain", "How much bodily pain have you had during the past 4 weeks?",
     "在过去4个星期里，您有身体疼痛吗？", PAIN),
    ("8", "social_pain", "During the past 4 weeks, how much did pain interfere with your "
     "normal work (including both work outside the home and housework)?",
     "在过去4个星期里，您的身体疼痛影响了您的工作和家务吗？", INTERFERENCE),
    ("9a", "feelings", "Did you feel full of pep?", "您觉得生活充实", TIME_6),
    ("9b", "feelings", "Have you been a very nervous person?", "您是一个敏感的人", TIME_6),
    ("9c", "feelings", "Have you felt so down in the dumps that nothing could cheer you up?",
     "您的情绪非常不好，什么事都不能使您高兴起来", TIME_6),
    ("9d", "feelings", "Have you felt calm and peaceful?", "您的心里很平静", TIME_6),
    ("9e", "feelings", "Did you have a lot of energy?", "您做事精力充沛", TIME_6),
    ("9f", "feelings", "Have you felt downhearted and blue?", "您的情绪低落", TIME_6),
    ("9g", "feelings", "Did you feel worn out?", "您觉得筋疲力尽", TIME_6),
    ("9h", "feelings", "Have you been a happy person?", "您是个快乐的人", TIME_6),
    ("9i", "feelings", "Did you feel tired?", "您感觉厌烦", TIME_6),
    ("10", "social_time", "During the past 4 weeks, how much of the time has your physical "
     "health or emotional problems interfered with your social activities (like visiting "
     "with friends, relatives, etc.)?",
     "在过去4个星期里，您的健康或情绪不好在多长时间里影响了您的社会活动（如走亲访友）？", TIME_5),
    ("11a", "health_beliefs", "I seem to get sick a little easier than other people",
     "我好像比别人容易生病", TRUE_FALSE),
    ("11b", "health_beliefs", "I am as healthy as anybody I know", "我跟周围人一样健康",
     TRUE_FALSE),
    ("11c", "health_beliefs", "I expect my health to get worse", "我认为我的健康状况在变坏",
     TRUE_FALSE),
    ("11d", "health_beliefs", "My health is excellent", "我的健康状况非常好", TRUE_FALSE),
)
# fmt: on


def build_items() -> tuple[Item, ...]:
    """Return the 36 items in form order, answers precoded 1 … k."""
    items = []
    for k, (number, section, text_en, text_zh, labels) in enumerate(_ITEMS, start=1):
        choices = tuple(Choice(code, en, zh) for code, (en, zh) in enumerate(labels, start=1))
        items.append(Item(f"sf36_{k}", text_en, text_zh, section, choices=choices, number=number))
    return tuple(items)
