"""English and Simplified Chinese ship for every user-facing string."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

REPO = Path(__file__).resolve().parents[2]
ZH_PO = REPO / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


def _msgids(path: Path) -> set[str]:
    with path.open("rb") as handle:
        return {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(handle) if m.id}


def test_every_chinese_message_is_translated_and_none_is_fuzzy():
    with ZH_PO.open("rb") as handle:
        catalog = read_po(handle, locale="zh_Hans")
    untranslated = [
        m.id
        for m in catalog
        if m.id and not all(m.string if isinstance(m.string, tuple) else (m.string,))
    ]
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert untranslated == []
    assert fuzzy == []


@pytest.mark.services("gettext")
def test_catalogue_holds_every_string_in_the_source(tmp_path):
    # given: a copy of the source tree, its catalogue regenerated from the code
    copy = tmp_path / "src"
    shutil.copytree(
        REPO,
        copy,
        ignore=shutil.ignore_patterns(
            ".venv", "var", ".git", "test-artifacts", "*.mo", "__pycache__", "node_modules"
        ),
    )
    (copy / "var").mkdir()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"}
    for key in ("DATABASE_URL", "REDIS_URL"):
        env.pop(key, None)
    # when
    subprocess.run(
        [sys.executable, "manage.py", "update_catalogues", "-v0"],
        cwd=copy,
        env=env,
        check=True,
        timeout=300,
    )
    # then: the committed catalogue has every message the code uses
    missing = _msgids(copy / ZH_PO.relative_to(REPO)) - _msgids(ZH_PO)
    assert missing == set(), f"run `make messages` and translate: {sorted(missing)}"
