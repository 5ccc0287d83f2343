import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from portal.env import env_bool, env_choice, env_int, env_list, env_str

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    "raw, value",
    [
        ("1", True),
        ("TRUE", True),
        (" yes ", True),
        ("on", True),
        ("0", False),
        ("false", False),
        ("No", False),
        ("off", False),
        ("", True),
    ],
)
def test_env_bool_reads_yes_and_no_words(monkeypatch, raw, value):
    monkeypatch.setenv("FLAG", raw)
    assert env_bool("FLAG", True) is value


@pytest.mark.parametrize("raw", ["maybe", "2", "tru", "enabled"])
def test_env_bool_refuses_anything_else_and_names_the_variable(monkeypatch, raw):
    monkeypatch.setenv("FLAG", raw)
    with pytest.raises(ImproperlyConfigured, match="FLAG="):
        env_bool("FLAG", False)


def test_env_bool_uses_the_default_when_unset(monkeypatch):
    monkeypatch.delenv("FLAG", raising=False)
    assert env_bool("FLAG", False) is False


def test_env_int_checks_whole_numbers_and_bounds(monkeypatch):
    monkeypatch.setenv("PORT", " 587 ")
    assert env_int("PORT", 25, minimum=1, maximum=65535) == 587
    for raw, match in [
        ("25x", "not a whole number"),
        ("0", "at least 1"),
        ("70000", "at most 65535"),
        ("2.5", "not a whole number"),
    ]:
        monkeypatch.setenv("PORT", raw)
        with pytest.raises(ImproperlyConfigured, match=match):
            env_int("PORT", 25, minimum=1, maximum=65535)
    monkeypatch.delenv("PORT")
    assert env_int("PORT", 25) == 25


def test_env_list_splits_on_commas_and_drops_blanks(monkeypatch):
    monkeypatch.setenv("HOSTS", " a.example, ,b.example,")
    assert env_list("HOSTS") == ["a.example", "b.example"]
    monkeypatch.delenv("HOSTS")
    assert env_list("HOSTS", ["x"]) == ["x"]


def test_env_choice_accepts_only_listed_values(monkeypatch):
    monkeypatch.setenv("STORE", "S3")
    assert env_choice("STORE", "local", {"local", "s3"}) == "s3"
    monkeypatch.setenv("STORE", "ftp")
    with pytest.raises(
        ImproperlyConfigured, match="STORE='ftp' is not one of local, s3"
    ):
        env_choice("STORE", "local", {"local", "s3"})


def test_env_str_strips_and_defaults(monkeypatch):
    monkeypatch.setenv("NAME", "  value ")
    assert env_str("NAME") == "value"
    assert env_str("UNSET_FOR_SURE", "d") == "d"


def manage_check(tmp_path, **env):
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"SECRET_KEY", "DEBUG", "DATABASE_URL", "DJANGO_SETTINGS_MODULE"}
    }
    clean.update(STRONGROOM_VAR_DIR=str(tmp_path / "var"), **env)
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_without_a_secret_key_refuses_to_start(tmp_path):
    result = manage_check(tmp_path, DEBUG="false", ALLOWED_HOSTS="backup.example")

    assert result.returncode != 0
    assert "DEBUG is off, so SECRET_KEY must be set" in result.stderr
    assert not (tmp_path / "var" / "secret_key").exists()


def test_production_refuses_a_short_secret_key(tmp_path):
    result = manage_check(tmp_path, DEBUG="false", SECRET_KEY="short")
    assert result.returncode != 0
    assert "SECRET_KEY must be at least 32 characters" in result.stderr


def test_production_starts_with_a_real_secret_key(tmp_path):
    result = manage_check(
        tmp_path, DEBUG="false", SECRET_KEY="k" * 50, ALLOWED_HOSTS="backup.example"
    )
    assert result.returncode == 0, result.stderr


def test_a_malformed_debug_value_stops_start_up(tmp_path):
    result = manage_check(tmp_path, DEBUG="sometimes")
    assert result.returncode != 0
    assert "DEBUG='sometimes' is not a yes/no value" in result.stderr


def test_the_embedded_default_keeps_one_generated_key(tmp_path):
    assert manage_check(tmp_path).returncode == 0
    key_file = tmp_path / "var" / "secret_key"
    first = key_file.read_text()
    assert manage_check(tmp_path).returncode == 0
    assert key_file.read_text() == first
    assert len(first) >= 50
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
