"""Delete backup data from the real agent, recover it, and purge it after 14 days."""

import os
from datetime import timedelta

from django.utils import timezone

from tests.agent_journey import build_tree, describe, pin_for
from vaults import soft_delete
from vaults.models import AuditEvent, Chunk, ItemState, ProtectedItem, RecoveryPoint


def register(agent, download_credentials, name, passphrase_file, state):
    agent(
        "register",
        "--vault-credentials",
        str(download_credentials(name)),
        "--name",
        name,
        "--passphrase-file",
        str(passphrase_file),
        state=state,
    )


def files_under(root):
    return [
        os.path.join(folder, name)
        for folder, _, names in os.walk(root)
        for name in names
    ]


def test_deleted_data_is_kept_recovered_elsewhere_and_purged(
    live_portal,
    vault,
    policy,
    admin_user,
    download_credentials,
    agent,
    passphrase_files,
    blob_storage,
    tmp_path,
):
    main_passphrase, standby_passphrase = passphrase_files
    source = build_tree(tmp_path / "source")
    expected = describe(source)
    register(agent, download_credentials, "fileserver-01", main_passphrase, "main")
    register(agent, download_credentials, "standby-02", standby_passphrase, "standby")
    agent("protect", str(source), "--policy", "DefaultPolicy")
    agent("backup", str(source))
    item = ProtectedItem.objects.get(source=str(source))
    first_point = item.points.get()

    wrong = agent(
        "stop-protection", str(source), "--delete-data", "--pin", "1234", check=False
    )
    assert wrong.returncode == 1
    assert wrong.stderr.startswith("Error 100130: Security PIN entered is incorrect.")
    item.refresh_from_db()
    assert item.state == ItemState.PROTECTED

    deleted = agent(
        "stop-protection",
        str(source),
        "--delete-data",
        "--pin",
        pin_for(vault, admin_user),
    )
    assert "kept until" in deleted.stdout
    item.refresh_from_db()
    assert item.state == ItemState.SOFT_DELETED
    assert item.purge_after - item.deleted_at >= timedelta(days=14)
    refused_backup = agent("backup", str(source), check=False)
    assert refused_backup.returncode == 1

    # The original machine is gone: the standby restores with its passphrase.
    agent(
        "restore",
        str(source),
        "--from-server",
        "fileserver-01",
        "--to",
        str(tmp_path / "on-standby"),
        "--passphrase-file",
        str(main_passphrase),
        state="standby",
    )
    assert describe(tmp_path / "on-standby") == expected
    recovered = AuditEvent.objects.get(operation="data-recovered")
    assert recovered.actor_label == "server standby-02"

    admin_user.is_verified = lambda: True
    soft_delete.undelete(item, admin_user)
    agent("protect", str(source), "--policy", "DefaultPolicy")
    (source / "after-undelete.txt").write_text("backups resume")
    agent("backup", str(source))
    item.refresh_from_db()
    assert item.state == ItemState.PROTECTED
    assert item.points.count() == 2
    agent(
        "restore",
        str(source),
        "--point",
        str(first_point.pk),
        "--to",
        str(tmp_path / "old-point"),
        "--passphrase-file",
        str(main_passphrase),
    )
    assert describe(tmp_path / "old-point") == expected

    agent(
        "stop-protection",
        str(source),
        "--delete-data",
        "--pin",
        pin_for(vault, admin_user),
    )
    assert soft_delete.purge_due_items(timezone.now() + timedelta(days=13)) == 0
    assert soft_delete.purge_due_items(timezone.now() + timedelta(days=15)) == 1

    item.refresh_from_db()
    assert item.state == ItemState.PURGED
    assert not RecoveryPoint.objects.exists()
    assert not Chunk.objects.exists()
    assert files_under(blob_storage) == []
    assert AuditEvent.objects.filter(operation="data-purged").count() == 1
