"""Run the real strongroom-agent command against a live portal."""

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

from tests.agent_journey import build_tree, describe, pin_for
from vaults.models import (
    AuditEvent,
    Chunk,
    Notification,
    Operation,
    Outcome,
    ProtectedItem,
    RecoveryPoint,
    RegisteredServer,
    SecurityPin,
)


def test_agent_backs_up_restores_and_changes_passphrase(
    live_portal,
    vault,
    policy,
    admin_user,
    download_credentials,
    agent,
    passphrase_files,
    tmp_path,
):
    old_passphrase, new_passphrase = passphrase_files
    source = build_tree(tmp_path / "source")
    expected = describe(source)

    credentials = download_credentials("main")
    registered = agent(
        "register",
        "--vault-credentials",
        str(credentials),
        "--name",
        "fileserver-01",
        "--passphrase-file",
        str(old_passphrase),
    )
    assert "Registered fileserver-01 with vault prod-vault" in registered.stdout
    server = RegisteredServer.objects.get(name="fileserver-01")
    assert server.agent_version == "2.0.9200"
    assert server.key_envelope["format"] == "strongroom-key-envelope/1"
    state_file = Path(agent.state_dir("main")) / "agent.json"
    assert stat.S_IMODE(state_file.stat().st_mode) == 0o600
    credential = json.loads(state_file.read_text())["credential"]
    assert credential not in registered.stdout + registered.stderr

    reused = agent(
        "register",
        "--vault-credentials",
        str(credentials),
        "--name",
        "another",
        "--passphrase-file",
        str(old_passphrase),
        state="reuse",
        check=False,
    )
    assert reused.returncode == 1
    assert "Error SR-VAULT-CREDENTIALS" in reused.stderr

    agent("protect", str(source), "--policy", "DefaultPolicy")
    first = agent("backup", str(source))
    assert "Backed up" in first.stdout
    item = ProtectedItem.objects.get(server=server)
    assert item.source == str(source)
    first_point = RecoveryPoint.objects.get(item=item)
    assert first_point.file_count == 9
    assert first_point.chunks.count() == Chunk.objects.filter(vault=vault).count()

    (source / "docs" / "readme.txt").write_bytes(b"Changed after the first backup.\n")
    os.utime(source / "docs" / "readme.txt", ns=(1, 1_700_000_000_000_000_000))
    chunks_before = Chunk.objects.count()
    agent("backup")
    second_point = item.points.order_by("-taken_at", "-pk").first()
    assert second_point != first_point
    # Only the changed file is new: the 1 MiB file uploads nothing again.
    assert Chunk.objects.count() == chunks_before + 1

    listed = agent("points", str(source))
    assert str(first_point.pk) in listed.stdout
    assert str(second_point.pk) in listed.stdout

    agent(
        "restore",
        str(source),
        "--point",
        str(first_point.pk),
        "--to",
        str(tmp_path / "restored-first"),
        "--passphrase-file",
        str(old_passphrase),
    )
    assert describe(tmp_path / "restored-first") == expected

    wrong_pin = agent(
        "change-passphrase",
        "--pin",
        "00000000",
        "--passphrase-file",
        str(old_passphrase),
        "--new-passphrase-file",
        str(new_passphrase),
        check=False,
    )
    assert wrong_pin.returncode == 1
    assert wrong_pin.stderr.startswith(
        "Error 100130: Security PIN entered is incorrect.\nGenerate a new PIN"
    )

    agent(
        "change-passphrase",
        "--pin",
        pin_for(vault, admin_user),
        "--passphrase-file",
        str(old_passphrase),
        "--new-passphrase-file",
        str(new_passphrase),
    )
    events = AuditEvent.objects.filter(operation=Operation.PASSPHRASE_CHANGED)
    assert list(
        events.order_by("occurred_at", "pk").values_list("outcome", flat=True)
    ) == [
        Outcome.REFUSED,
        Outcome.ALLOWED,
    ]
    assert Notification.objects.filter(event__in=events).count() == 2

    with_old = agent(
        "restore",
        str(source),
        "--to",
        str(tmp_path / "with-old"),
        "--passphrase-file",
        str(old_passphrase),
        check=False,
    )
    assert with_old.returncode == 1
    assert "Error A102" in with_old.stderr
    assert not (tmp_path / "with-old").exists()

    for point, name in ((first_point, "first"), (second_point, "second")):
        agent(
            "restore",
            str(source),
            "--point",
            str(point.pk),
            "--to",
            str(tmp_path / f"new-{name}"),
            "--passphrase-file",
            str(new_passphrase),
        )
    assert describe(tmp_path / "new-first") == expected
    assert describe(tmp_path / "new-second") == describe(source)

    status = agent("status")
    assert "Meets minimum:     yes" in status.stdout
    assert str(source) in status.stdout


def test_old_agent_gets_120002_and_0x29834(
    live_portal,
    vault,
    policy,
    admin_user,
    download_credentials,
    agent,
    passphrase_files,
):
    old_passphrase, new_passphrase = passphrase_files
    agent(
        "register",
        "--vault-credentials",
        str(download_credentials("old")),
        "--name",
        "oldserver",
        "--agent-version",
        "2.0.9000",
        "--passphrase-file",
        str(old_passphrase),
        state="old",
    )
    pin = pin_for(vault, admin_user)

    refused = agent(
        "change-passphrase",
        "--pin",
        pin,
        "--passphrase-file",
        str(old_passphrase),
        "--new-passphrase-file",
        str(new_passphrase),
        state="old",
        check=False,
    )
    assert refused.returncode == 1
    assert refused.stderr.startswith("Error 120002: Operation failed.\nUpdate")
    # The version is checked first, so the PIN is still there for a
    # supported agent.
    assert SecurityPin.objects.get().used_at is None

    policy_refused = agent(
        "policy",
        "set",
        "DefaultPolicy",
        "--daily-days",
        "3",
        state="old",
        check=False,
    )
    assert policy_refused.returncode == 1
    assert policy_refused.stderr.startswith("Error 0x29834: The backup policy")
    policy.refresh_from_db()
    assert policy.daily_days == 30


def test_supported_agent_is_told_the_minimum_and_may_keep_it(
    live_portal, vault, policy, download_credentials, agent, passphrase_files
):
    agent(
        "register",
        "--vault-credentials",
        str(download_credentials("new")),
        "--name",
        "fileserver-02",
        "--passphrase-file",
        str(passphrase_files[0]),
        state="new",
    )
    refused = agent(
        "policy",
        "set",
        "DefaultPolicy",
        "--weekly-weeks",
        "2",
        state="new",
        check=False,
    )
    assert refused.returncode == 1
    assert "Error SR-RETENTION-MINIMUM" in refused.stderr
    assert "Weekly retention must be at least 4 weeks." in refused.stderr

    changed = agent("policy", "set", "DefaultPolicy", "--daily-days", "7", state="new")
    assert "daily:   7 days" in changed.stdout
    shown = agent("policy", "show", "DefaultPolicy", state="new")
    assert "weekly:  12 weeks" in shown.stdout
    reduced = AuditEvent.objects.filter(operation=Operation.RETENTION_REDUCED)
    assert sorted(reduced.values_list("outcome", flat=True)) == [
        Outcome.ALLOWED,
        Outcome.REFUSED,
    ]


def test_installed_command_answers_help_for_every_command(agent):
    script = Path(sys.executable).with_name("strongroom-agent")
    commands = [
        [],
        ["register"],
        ["protect"],
        ["backup"],
        ["points"],
        ["restore"],
        ["status"],
        ["change-passphrase"],
        ["policy"],
        ["policy", "show"],
        ["policy", "set"],
    ]
    for command in commands:
        result = subprocess.run(
            [str(script), *command, "--help"], capture_output=True, text=True
        )
        assert result.returncode == 0, command
        assert "usage: strongroom-agent" in result.stdout


def test_unregistered_agent_says_how_to_register(agent):
    result = agent("status", state="nowhere", check=False)
    assert result.returncode == 1
    assert result.stderr.startswith("Error A403: This agent is not registered")
