"""The demo data: an administrator, a new and a legacy vault, each with a policy."""

from io import StringIO

from django.core.management import call_command
from django_otp.plugins.otp_static.models import StaticToken

from portal import second_factor
from vaults.models import BackupPolicy, Vault


def seed():
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def test_both_demo_vaults_have_the_default_policy_the_readme_uses(db):
    seed()

    for name in ("contoso-vault", "legacy-vault"):
        vault = Vault.objects.get(name=name)
        assert vault.policies.filter(name="DefaultPolicy").exists(), name


def test_running_it_again_changes_nothing(db, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    first = seed()
    policies = list(BackupPolicy.objects.values_list("pk", flat=True))
    tokens = set(StaticToken.objects.values_list("token", flat=True))

    second = seed()

    assert list(BackupPolicy.objects.values_list("pk", flat=True)) == policies
    assert set(StaticToken.objects.values_list("token", flat=True)) == tokens
    assert Vault.objects.count() == 2
    for label in ("key:", "codes:"):
        line = [text for text in first.splitlines() if label in text]
        assert len(line) == 1 and line[0] in second


def test_used_demo_codes_are_not_printed_again(db, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    seed()
    user = StaticToken.objects.select_related("device__user").first().device.user
    first_code = (tmp_path / "demo-backup-codes").read_text().split()[0]
    assert second_factor.verify_code(user, first_code)[0] is not None

    assert first_code not in seed()


def test_the_backup_codes_it_prints_work_and_are_stored_only_hashed(
    db, settings, tmp_path
):
    settings.VAR_DIR = tmp_path
    seed()
    codes_line = next(line for line in seed().splitlines() if "codes:" in line)
    codes = codes_line.split(":", 1)[1].strip().split(", ")

    stored = set(StaticToken.objects.values_list("token", flat=True))
    assert len(codes) == 3
    assert not stored & set(codes)
    assert all(second_factor.hash_backup_code(code) in stored for code in codes)
