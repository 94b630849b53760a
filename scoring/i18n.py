"""Language helpers for instrument texts.

Every item text and answer label is stored in English and Simplified Chinese as plain
strings on the definition objects, so that the trial app can pick one by the active
Django language without this package importing Django. The texts are the wording a
patient or nurse reads; they are not passed through gettext because both languages are
already stored explicitly (a catalogue entry would only duplicate them).
"""

from __future__ import annotations

ENGLISH = "en"
SIMPLIFIED_CHINESE = "zh-hans"
LANGUAGES: tuple[str, ...] = (ENGLISH, SIMPLIFIED_CHINESE)


def is_chinese(lang: str | None) -> bool:
    """Return True when a language code (``zh-hans``, ``zh_Hans``, ``zh-CN``, ``zh``) is Chinese."""
    if not lang:
        return False
    return lang.strip().lower().replace("_", "-").split("-")[0] == "zh"


def pick(lang: str | None, text_en: str, text_zh: str) -> str:
    """Return the Chinese text for a Chinese language code, else English (the fallback)."""
    if is_chinese(lang) and text_zh:
        return text_zh
    return text_en
