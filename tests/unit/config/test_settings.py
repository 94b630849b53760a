"""Settings are read from the environment alone; each case runs in a fresh interpreter."""

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
PROBE = (
    "import json, django; from django.conf import settings; django.setup();"
    "print(json.dumps({'debug': settings.DEBUG, 'engine': settings.DATABASES['default']['ENGINE'],"
    "'eager': settings.CELERY_TASK_ALWAYS_EAGER, 'broker': settings.CELERY_BROKER_URL,"
    "'secure': settings.SESSION_COOKIE_SECURE, 'hsts': settings.SECURE_HSTS_SECONDS,"
    "'demo': settings.EDC_DEMO}))"
)
SERVICE_VARS = (
    "DATABASE_URL",
    "REDIS_URL",
    "DJANGO_DEBUG",
    "DJANGO_SECRET_KEY",
    "EDC_HTTPS",
    "EDC_DEMO",
)


def _settings_with(**env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in SERVICE_VARS}
    clean["DJANGO_SETTINGS_MODULE"] = "config.settings"
    return subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=REPO,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_no_environment_gives_the_embedded_demo():
    result = _settings_with()
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values["engine"] == "django.db.backends.sqlite3"
    assert values["eager"] is True
    assert values["debug"] is True
    assert values["demo"] is True


def test_service_urls_switch_to_postgresql_and_redis():
    result = _settings_with(
        DATABASE_URL="postgres://u@127.0.0.1:5432/x",
        REDIS_URL="redis://127.0.0.1:6379/3",
        DJANGO_SECRET_KEY="k" * 50,
    )
    values = json.loads(result.stdout)
    assert values["engine"] == "django.db.backends.postgresql"
    assert values["eager"] is False
    assert values["broker"] == "redis://127.0.0.1:6379/3"
    assert values["demo"] is False


def test_debug_off_without_secret_key_refuses_to_start():
    result = _settings_with(DJANGO_DEBUG="0")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_debug_off_uses_secure_cookies_and_hsts():
    values = json.loads(_settings_with(DJANGO_DEBUG="0", DJANGO_SECRET_KEY="k" * 50).stdout)
    assert values["secure"] is True
    assert values["hsts"] >= 31_536_000
