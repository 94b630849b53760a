"""docker-compose.yml cannot run here (no Docker engine), so it is checked by reading."""

import re
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[3]
COMPOSE = yaml.safe_load((REPO / "docker-compose.yml").read_text())
SETTINGS = (REPO / "config" / "settings.py").read_text()


def test_compose_runs_every_service_the_design_names():
    assert {"web", "worker", "beat", "postgres", "redis", "migrate"} <= set(COMPOSE["services"])
    assert COMPOSE["services"]["postgres"]["image"] == "postgres:16"
    assert COMPOSE["services"]["redis"]["image"] == "redis:7"
    assert set(COMPOSE["volumes"]) == {"pgdata", "redisdata", "media"}


def test_long_running_services_have_health_checks():
    for name in ("web", "worker", "postgres", "redis"):
        assert "healthcheck" in COMPOSE["services"][name], name


def test_app_services_read_only_variables_the_settings_know():
    env = COMPOSE["services"]["web"]["environment"]
    for variable in env:
        assert re.search(rf'"{variable}"', SETTINGS), f"settings never read {variable}"
    assert env["DJANGO_DEBUG"] == "0"


def test_app_containers_start_after_migrations():
    for name in ("web", "worker", "beat"):
        depends = COMPOSE["services"][name]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully"
    migrate = COMPOSE["services"]["migrate"]["depends_on"]
    assert migrate["postgres"]["condition"] == "service_healthy"
