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


def test_running_it_again_changes_nothing(db):
    first = seed()
    policies = list(BackupPolicy.objects.values_list("pk", flat=True))

    second = seed()

    assert list(BackupPolicy.objects.values_list("pk", flat=True)) == policies
    assert Vault.objects.count() == 2
    key = [line for line in first.splitlines() if "key:" in line]
    assert len(key) == 1 and key[0] in second


def test_the_backup_codes_it_prints_work_and_are_stored_only_hashed(db):
    seed()
    codes_line = next(line for line in seed().splitlines() if "codes:" in line)
    codes = codes_line.split(":", 1)[1].strip().split(", ")

    stored = set(StaticToken.objects.values_list("token", flat=True))
    assert len(codes) == 3
    assert not stored & set(codes)
    assert all(second_factor.hash_backup_code(code) in stored for code in codes)
