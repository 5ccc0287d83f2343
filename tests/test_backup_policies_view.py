"""Backup policies: list, add and edit, with the minimum retention as field errors."""

import pytest
from django.urls import reverse

from vaults.models import AuditEvent, BackupPolicy, Operation, Outcome

VALID = {
    "name": "Nightly",
    "schedule_time": "23:30",
    "daily_days": "7",
    "weekly_weeks": "4",
    "monthly_months": "3",
    "yearly_years": "1",
}


def test_it_lists_policies(verified_client, vault):
    BackupPolicy.objects.create(vault=vault, name="DefaultPolicy")

    response = verified_client.get(reverse("backup-policies", args=[vault.pk]))

    assert b"DefaultPolicy" in response.content
    assert b"30 days" in response.content


def test_a_policy_is_added(verified_client, vault):
    response = verified_client.post(
        reverse("backup-policy-add", args=[vault.pk]), VALID
    )

    assert response.status_code == 302
    policy = BackupPolicy.objects.get(vault=vault)
    assert (policy.name, policy.daily_days) == ("Nightly", 7)


def test_below_the_minimum_each_field_names_its_minimum(verified_client, vault):
    policy = BackupPolicy.objects.create(vault=vault, name="DefaultPolicy")
    data = {**VALID, "daily_days": "6", "yearly_years": "0"}

    response = verified_client.post(
        reverse("backup-policy-edit", args=[vault.pk, policy.pk]), data
    )

    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors["daily_days"] == ["Daily retention must be at least 7 days."]
    assert form.errors["yearly_years"] == ["Yearly retention must be at least 1 year."]
    policy.refresh_from_db()
    assert policy.daily_days == 30
    refused = AuditEvent.objects.get(operation=Operation.RETENTION_REDUCED)
    assert refused.outcome == Outcome.REFUSED
    assert refused.actor_label == "alice"


def test_an_edit_keeps_the_name_and_records_a_reduction(verified_client, vault):
    policy = BackupPolicy.objects.create(vault=vault, name="DefaultPolicy")

    response = verified_client.post(
        reverse("backup-policy-edit", args=[vault.pk, policy.pk]),
        {**VALID, "name": "Renamed", "daily_days": "10"},
    )

    assert response.status_code == 302
    policy.refresh_from_db()
    assert (policy.name, policy.daily_days) == ("DefaultPolicy", 10)
    assert policy.schedule_time.strftime("%H:%M") == "23:30"
    assert AuditEvent.objects.get().outcome == Outcome.ALLOWED


def test_a_duplicate_name_is_a_field_error(verified_client, vault):
    BackupPolicy.objects.create(vault=vault, name="Nightly")

    response = verified_client.post(
        reverse("backup-policy-add", args=[vault.pk]), {**VALID, "name": "nightly"}
    )

    assert "already exists" in response.context["form"].errors["name"][0]


def test_text_instead_of_a_number_is_a_field_error(verified_client, vault):
    response = verified_client.post(
        reverse("backup-policy-add", args=[vault.pk]), {**VALID, "daily_days": "a"}
    )

    assert "daily_days" in response.context["form"].errors
    assert not BackupPolicy.objects.exists()


def test_editing_needs_a_verified_session(signed_in_client, vault):
    response = signed_in_client.get(reverse("backup-policy-add", args=[vault.pk]))

    assert response.status_code == 302


def test_a_single_unit_of_retention_reads_in_the_singular(
    verified_client, legacy_vault
):
    # Only a vault with security settings off may keep a policy this short.
    BackupPolicy.objects.create(
        vault=legacy_vault,
        name="Lean",
        daily_days=1,
        weekly_weeks=1,
        monthly_months=1,
        yearly_years=1,
    )

    response = verified_client.get(reverse("backup-policies", args=[legacy_vault.pk]))

    for text in (b">1 day<", b">1 week<", b">1 month<", b">1 year<"):
        assert text in response.content


def test_a_new_policy_starts_from_retention_above_the_minimum(verified_client, vault):
    response = verified_client.get(reverse("backup-policy-add", args=[vault.pk]))

    body = response.content.decode()
    assert 'name="schedule_time" value="22:00"' in body
    assert 'name="daily_days" value="30"' in body
    assert 'name="yearly_years" value="3"' in body


@pytest.mark.parametrize("name", ["a/b", "nightly run", "-x", "ñight"])
def test_a_name_an_agent_cannot_type_is_a_field_error(verified_client, vault, name):
    response = verified_client.post(
        reverse("backup-policy-add", args=[vault.pk]), {**VALID, "name": name}
    )
    assert response.status_code == 200
    assert b"agents name the policy on their command line" in response.content
    assert not vault.policies.filter(name=name).exists()
