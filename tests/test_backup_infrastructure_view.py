"""Backup infrastructure: registered servers and whether they meet the minimum."""

from django.urls import reverse

from vaults.models import ServerKind


def url(vault):
    return reverse("backup-infrastructure", args=[vault.pk])


def test_it_lists_servers_with_their_versions(
    verified_client, vault, make_credentialed_server
):
    make_credentialed_server(vault, "fileserver-01", agent_version="2.0.10000")
    make_credentialed_server(vault, "oldserver", agent_version="2.0.9000")
    make_credentialed_server(
        vault,
        "dpm-2012",
        kind=ServerKind.DPM,
        agent_version="2.0.9052",
        product_version="2012 R2 UR11",
    )

    response = verified_client.get(url(vault))

    text = response.content.decode()
    assert "fileserver-01" in text and "2.0.10000" in text
    assert "needs agent 2.0.9052 or later" in text
    assert "2012 R2 UR12" in text
    assert text.count("state-off") == 2
    assert text.count('state-on">Yes') == 1


def test_it_is_paged_with_constant_queries(
    verified_client, vault, make_credentialed_server, django_assert_max_num_queries
):
    for number in range(55):
        make_credentialed_server(vault, f"server-{number:02d}")

    with django_assert_max_num_queries(12):
        response = verified_client.get(url(vault))

    assert "Page 1 of 2" in response.content.decode()
    assert "server-54" not in response.content.decode()


def test_it_says_how_to_register_when_empty(verified_client, vault):
    response = verified_client.get(url(vault))

    assert b"strongroom-agent register" in response.content
