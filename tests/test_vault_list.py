import re

import pytest
from django.urls import reverse

from vaults.models import Membership, Role, Subscription, Vault

OVERVIEW_LINK = re.compile(rb'href="/vaults/\d+/"')


def test_it_requires_sign_in(client, db):
    response = client.get(reverse("vault-list"))
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/?next=/vaults/")


def test_it_lists_only_vaults_of_my_subscriptions(verified_client, vault):
    other = Subscription.objects.create(name="Fabrikam")
    Vault.objects.create(subscription=other, name="secret-vault")

    response = verified_client.get(reverse("vault-list"))

    assert b"prod-vault" in response.content
    assert b"secret-vault" not in response.content
    assert b"Contoso" in response.content


def test_it_shows_security_settings_state(verified_client, vault, legacy_vault):
    response = verified_client.get(reverse("vault-list"))
    body = response.content.decode()
    assert body.count("Enabled") == 1
    assert body.count("Disabled") == 1


def test_it_filters_by_name(verified_client, vault, legacy_vault):
    response = verified_client.get(reverse("vault-list"), {"q": "OLD"})
    assert b"old-vault" in response.content
    assert b"prod-vault" not in response.content


def test_it_pages_fifty_at_a_time(verified_client, subscription):
    Vault.objects.bulk_create(
        Vault(subscription=subscription, name=f"vault-{i:03d}") for i in range(120)
    )

    first = verified_client.get(reverse("vault-list"))
    third = verified_client.get(reverse("vault-list"), {"page": 3})

    assert len(OVERVIEW_LINK.findall(first.content)) == 50
    assert b"Page 1 of 3" in first.content
    assert len(OVERVIEW_LINK.findall(third.content)) == 20


def test_queries_do_not_grow_with_rows(
    verified_client, subscription, django_assert_max_num_queries
):
    Vault.objects.bulk_create(
        Vault(subscription=subscription, name=f"vault-{i:03d}") for i in range(60)
    )
    with django_assert_max_num_queries(12):
        verified_client.get(reverse("vault-list"))


def test_a_reader_cannot_add(client, make_user, subscription, device):
    reader = make_user("bob", Role.READER, subscription)
    client.force_login(reader)
    response = client.get(reverse("vault-list"))
    assert b"+ Add" not in response.content
    assert Membership.objects.get(user=reader).role == Role.READER


@pytest.mark.parametrize("page", ["0", "999", "abc"])
def test_odd_page_numbers_do_not_fail(verified_client, vault, page):
    assert verified_client.get(reverse("vault-list"), {"page": page}).status_code == 200


def test_a_nul_character_in_the_filter_is_ignored(verified_client, vault, legacy_vault):
    response = verified_client.get(reverse("vault-list"), {"q": "pro\x00d"})

    assert response.status_code == 200
    assert b"prod-vault" in response.content
    assert b"old-vault" not in response.content


def test_its_entry_in_the_portal_navigation_is_marked_current(verified_client, db):
    body = verified_client.get(reverse("vault-list")).content.decode()
    vaults_link = f'<a href="{reverse("vault-list")}" class="active">'
    home_link = f'<a href="{reverse("home")}" class="">'
    assert vaults_link in body
    assert home_link in body
