"""The agent's command line: its prompts and what it prints."""

import io
import json
import subprocess
import sys
from pathlib import Path

from agent.cli import write_policy

REPOSITORY = Path(__file__).resolve().parents[2]


def run_without_terminal(*args):
    # A new session has no controlling terminal, as under cron or systemd.
    return subprocess.run(
        [sys.executable, "-m", "agent.cli", *args],
        cwd=REPOSITORY,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        start_new_session=True,
        timeout=60,
    )


def test_register_without_a_terminal_names_the_passphrase_option(tmp_path):
    credentials = tmp_path / "vault.strongroom-credentials.json"
    credentials.write_text(
        json.dumps(
            {
                "format": "strongroom-vault-credentials/1",
                "portal_url": "http://127.0.0.1:9",
                "token": "unused",
            }
        )
    )

    result = run_without_terminal(
        "register",
        "--vault-credentials",
        str(credentials),
        "--name",
        "fileserver-01",
        "--state-dir",
        str(tmp_path / "state"),
    )

    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "Error A406: There is no terminal to ask for a secret." in result.stderr
    assert "Pass --passphrase-file F" in result.stderr
    assert not (tmp_path / "state").exists()


def test_a_policy_reads_in_the_singular_for_one_unit():
    out = io.StringIO()
    policy = {
        "name": "DefaultPolicy",
        "schedule_time": "02:00",
        "daily_days": 7,
        "weekly_weeks": 4,
        "monthly_months": 1,
        "yearly_years": 1,
    }

    write_policy(policy, out)

    assert "daily:   7 days\n" in out.getvalue()
    assert "monthly: 1 month\n" in out.getvalue()
    assert "yearly:  1 year\n" in out.getvalue()
