"""The demo data: an administrator, a new and a legacy vault, each with a policy."""

from io import StringIO

from django.core.management import call_command

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
    shown = [line for line in first.splitlines() if "key:" in line or "codes:" in line]
    assert len(shown) == 2
    assert all(line in second for line in shown)
