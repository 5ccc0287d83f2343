"""Minimum retention with security settings on, from the portal and from agents."""

import pytest

from vaults import server_rules
from vaults.errors import OperationRefused
from vaults.models import AuditEvent, BackupPolicy, Notification, Operation, Outcome

MINIMUM = {"daily_days": 7, "weekly_weeks": 4, "monthly_months": 3, "yearly_years": 1}


@pytest.fixture
def policy(vault):
    return BackupPolicy.objects.create(vault=vault, name="DefaultPolicy")


@pytest.fixture
def supported(vault, make_credentialed_server):
    return make_credentialed_server(vault, "new", agent_version="2.0.10000")[0]


@pytest.fixture
def unsupported(vault, make_credentialed_server):
    return make_credentialed_server(vault, "old", agent_version="2.0.9000")[0]


def reductions(outcome):
    return AuditEvent.objects.filter(
        operation=Operation.RETENTION_REDUCED, outcome=outcome
    )


def test_the_minimum_itself_is_accepted(policy, supported):
    server_rules.change_retention(policy, MINIMUM, server=supported)

    policy.refresh_from_db()
    assert policy.daily_days == 7 and policy.yearly_years == 1


@pytest.mark.parametrize(
    "field, sentence",
    [
        ("daily_days", "Daily retention must be at least 7 days."),
        ("weekly_weeks", "Weekly retention must be at least 4 weeks."),
        ("monthly_months", "Monthly retention must be at least 3 months."),
        ("yearly_years", "Yearly retention must be at least 1 year."),
    ],
)
def test_one_below_the_minimum_names_it(policy, supported, field, sentence):
    values = {**MINIMUM, field: MINIMUM[field] - 1}

    with pytest.raises(server_rules.RetentionRefused) as refused:
        server_rules.change_retention(policy, values, server=supported)

    assert refused.value.entry.code == "SR-RETENTION-MINIMUM"
    assert refused.value.shortfalls == {field: sentence}
    assert sentence in refused.value.detail
    policy.refresh_from_db()
    assert policy.daily_days == 30


def test_an_unsupported_agent_gets_0x29834(policy, unsupported):
    with pytest.raises(OperationRefused) as refused:
        server_rules.change_retention(
            policy, {**MINIMUM, "daily_days": 1}, server=unsupported
        )

    assert refused.value.entry.code == "0x29834"
    assert "7 days daily" in refused.value.entry.action


def test_an_unsupported_agent_above_the_minimum_may_change_retention(
    policy, unsupported
):
    server_rules.change_retention(policy, MINIMUM, server=unsupported)

    policy.refresh_from_db()
    assert policy.weekly_weeks == 4


def test_a_refused_reduction_is_audited_and_alerted(policy, unsupported):
    with pytest.raises(OperationRefused):
        server_rules.change_retention(
            policy, {**MINIMUM, "daily_days": 1}, server=unsupported
        )

    event = reductions(Outcome.REFUSED).get()
    assert event.error_code == "0x29834"
    assert event.actor_label == "server old"
    assert "DefaultPolicy" in event.detail
    assert Notification.objects.filter(event=event).exists()


def test_an_allowed_reduction_is_audited_and_alerted(policy, supported):
    server_rules.change_retention(
        policy, {**MINIMUM, "daily_days": 10}, server=supported
    )

    event = reductions(Outcome.ALLOWED).get()
    assert "Daily 10" in event.detail
    assert Notification.objects.filter(event=event).exists()


def test_raising_retention_raises_no_alert(policy, supported):
    values = {
        "daily_days": 60,
        "weekly_weeks": 20,
        "monthly_months": 24,
        "yearly_years": 5,
    }

    server_rules.change_retention(policy, values, server=supported)

    assert not AuditEvent.objects.exists()


def test_without_security_settings_any_retention_is_kept(
    legacy_vault, make_credentialed_server
):
    policy = BackupPolicy.objects.create(vault=legacy_vault, name="Short")
    server = make_credentialed_server(legacy_vault, agent_version="2.0.9000")[0]
    values = {
        "daily_days": 1,
        "weekly_weeks": 0,
        "monthly_months": 0,
        "yearly_years": 0,
    }

    server_rules.change_retention(policy, values, server=server)

    policy.refresh_from_db()
    assert policy.daily_days == 1


def test_a_portal_user_needs_a_verified_session(policy, admin_user):
    with pytest.raises(OperationRefused) as refused:
        server_rules.change_retention(policy, MINIMUM, user=admin_user)

    assert refused.value.entry.code == "SR-SECOND-FACTOR"


def test_a_reader_may_not_change_retention(policy, make_user, subscription):
    reader = make_user("rita", "reader", subscription)
    reader.is_verified = lambda: True

    with pytest.raises(OperationRefused) as refused:
        server_rules.change_retention(policy, MINIMUM, user=reader)

    assert refused.value.entry.code == "SR-FORBIDDEN"


def test_a_new_policy_below_the_minimum_is_refused(vault, admin_user):
    admin_user.is_verified = lambda: True

    with pytest.raises(server_rules.RetentionRefused) as refused:
        server_rules.create_policy(
            vault, admin_user, "Tiny", {**MINIMUM, "monthly_months": 2}, "22:00"
        )

    assert set(refused.value.shortfalls) == {"monthly_months"}
    assert not BackupPolicy.objects.exists()


def test_the_api_names_the_minimum_for_a_supported_agent(
    vault, policy, make_credentialed_server, agent_api
):
    _, credential = make_credentialed_server(vault, "api-new")

    response = agent_api(credential).json(
        "put", "/policies/DefaultPolicy", {**MINIMUM, "yearly_years": 0}
    )

    assert response.status_code == 400
    assert response.json()["code"] == "SR-RETENTION-MINIMUM"
    assert "Yearly retention must be at least 1 year." in response.json()["detail"]


def test_the_api_answers_0x29834_to_an_old_agent(
    vault, policy, make_credentialed_server, agent_api
):
    _, credential = make_credentialed_server(vault, "api-old", agent_version="2.0.9051")

    response = agent_api(credential).json(
        "put", "/policies/DefaultPolicy", {**MINIMUM, "daily_days": 6}
    )

    assert response.status_code == 403
    assert response.json()["code"] == "0x29834"


def test_the_api_refuses_retention_given_as_text(
    vault, policy, make_credentialed_server, agent_api
):
    _, credential = make_credentialed_server(vault, "api-typed")

    response = agent_api(credential).json(
        "put", "/policies/DefaultPolicy", {**MINIMUM, "daily_days": "7"}
    )

    assert response.status_code == 422
    assert "daily_days" in response.json()["detail"]


def test_the_api_shows_a_policy(vault, policy, make_credentialed_server, agent_api):
    _, credential = make_credentialed_server(vault, "api-show")

    response = agent_api(credential).get("/policies/DefaultPolicy")

    assert response.json()["daily_days"] == 30
    missing = agent_api(credential).get("/policies/Nope")
    assert missing.json()["code"] == "SR-POLICY-NOT-FOUND"


def test_a_reduction_refused_for_the_role_is_audited_and_alerted(
    policy, make_user, subscription
):
    reader = make_user("rita", "reader", subscription)
    reader.is_verified = lambda: True

    with pytest.raises(OperationRefused):
        server_rules.change_retention(policy, MINIMUM, user=reader)

    event = reductions(Outcome.REFUSED).get()
    assert event.error_code == "SR-FORBIDDEN"
    assert Notification.objects.filter(event=event).exists()


def test_a_new_policy_below_the_minimum_is_audited_and_alerted(vault, admin_user):
    admin_user.is_verified = lambda: True

    with pytest.raises(server_rules.RetentionRefused):
        server_rules.create_policy(
            vault, admin_user, "Tiny", {**MINIMUM, "daily_days": 1}, "22:00"
        )

    event = reductions(Outcome.REFUSED).get()
    assert event.error_code == "SR-RETENTION-MINIMUM"
    assert "Tiny" in event.detail
    assert Notification.objects.filter(event=event).exists()


def test_code_cannot_save_a_policy_below_the_minimum(vault):
    from vaults.errors import OperationRefused
    from vaults.models import BackupPolicy

    policy = BackupPolicy.objects.create(vault=vault, name="Guarded")
    policy.daily_days = 3
    with pytest.raises(OperationRefused):
        policy.save()
    with pytest.raises(OperationRefused):
        BackupPolicy.objects.filter(pk=policy.pk).update(yearly_years=0)
    policy.refresh_from_db()
    assert (policy.daily_days, policy.yearly_years) == (30, 3)


def test_a_vault_with_security_off_may_keep_short_policies(legacy_vault):
    from vaults.models import BackupPolicy

    policy = BackupPolicy.objects.create(vault=legacy_vault, name="Short", daily_days=1)
    BackupPolicy.objects.filter(pk=policy.pk).update(weekly_weeks=0)
    policy.refresh_from_db()
    assert (policy.daily_days, policy.weekly_weeks) == (1, 0)
