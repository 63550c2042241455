"""Settings refuse unsafe production configurations, and pass Django's deploy checks."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
STRONG_KEY = "k3y-" + "a1b2c3d4e5f6g7h8i9j0" * 3

PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": STRONG_KEY,
    "ALLOWED_HOSTS": "visibility.example.com",
    "DJANGO_SETTINGS_MODULE": "aisa_site.settings",
}


def _last_line(result) -> str:
    return result.stdout.strip().splitlines()[-1]


def _run(env_overrides, *args):
    dropped = ("DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "DJANGO_ALLOW_ASYNC_UNSAFE")
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_it_refuses_to_start_in_production_without_a_secret_key():
    result = _run({**PRODUCTION, "SECRET_KEY": ""}, "check")
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_it_refuses_a_short_secret_key_in_production():
    result = _run({**PRODUCTION, "SECRET_KEY": "short"}, "check")
    assert result.returncode != 0
    assert "too short" in result.stderr


def test_it_refuses_production_without_allowed_hosts():
    result = _run({**PRODUCTION, "ALLOWED_HOSTS": ""}, "check")
    assert result.returncode != 0
    assert "ALLOWED_HOSTS" in result.stderr


def test_it_is_off_debug_by_default():
    env = {k: v for k, v in PRODUCTION.items() if k != "DEBUG"}
    result = _run(env, "shell", "-c", "from django.conf import settings; print(settings.DEBUG)")
    assert result.returncode == 0, result.stderr
    assert _last_line(result) == "False"


def test_it_passes_the_deploy_checks_with_production_settings():
    result = _run(PRODUCTION, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"REDIS_URL": ""}, "orm"),
        ({"REDIS_URL": "redis://127.0.0.1:6379/0"}, "redis"),
    ],
)
def test_it_picks_the_job_broker_from_redis_url(env, expected):
    code = (
        "from django.conf import settings; "
        "print('redis' if 'redis' in settings.Q_CLUSTER else 'orm')"
    )
    result = _run({"DEBUG": "1", **env}, "shell", "-c", code)
    assert result.returncode == 0, result.stderr
    assert _last_line(result) == expected


def test_it_configures_sqlite_for_concurrent_web_and_worker(settings):
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
        pytest.skip("runs on the SQLite configuration")
    options = settings.DATABASES["default"]["OPTIONS"]
    assert options["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in options["init_command"]
    assert options["timeout"] >= 5


def test_it_really_runs_a_sqlite_file_in_wal_mode(tmp_path):
    code = (
        "from django.db import connection; c = connection.cursor(); "
        "c.execute('PRAGMA journal_mode'); print(c.fetchone()[0])"
    )
    env = {"DEBUG": "1", "DATABASE_URL": f"sqlite:///{tmp_path / 'wal.sqlite3'}"}
    result = _run(env, "shell", "-c", code)
    assert result.returncode == 0, result.stderr
    assert _last_line(result) == "wal"
