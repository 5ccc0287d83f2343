"""The agent API: registration, credentials, chunks, points and its 4xx errors."""

import base64
import hashlib
import json
import os
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from agent.crypto import ScryptCost, wrap_data_key
from vaults import server_rules
from vaults.models import (
    BackupPolicy,
    Chunk,
    ProtectedItem,
    RecoveryPoint,
    RegisteredServer,
    Vault,
    VaultCredential,
)

CHEAP = ScryptCost(n=1024)


@pytest.fixture
def envelope():
    return wrap_data_key("a passphrase of some length", cost=CHEAP)[1]


@pytest.fixture
def credentials_token(vault, admin_user):
    admin_user.is_verified = lambda: True
    document = server_rules.issue_vault_credentials(
        vault, admin_user, "http://127.0.0.1:8000"
    )
    return document["token"]


@pytest.fixture
def server_api(vault, make_credentialed_server, agent_api):
    server, credential = make_credentialed_server(vault)
    api = agent_api(credential)
    api.server = server
    return api


@pytest.fixture
def policy(vault):
    return BackupPolicy.objects.create(vault=vault, name="DefaultPolicy")


def registration(token, **changes):
    body = {
        "token": token,
        "name": "fileserver-01",
        "kind": "agent",
        "agent_version": "2.0.9200",
        "product_version": "",
    }
    body.update(changes)
    return body


def assert_error(response, status, code):
    assert response.status_code == status, response.content
    body = response.json()
    assert body["code"] == code
    assert body["message"] and body["action"] and body["cause"]
    return body


def digest(number):
    return hashlib.sha256(str(number).encode()).hexdigest()


# Registration


def test_register_returns_a_credential_kept_only_as_a_hash(
    agent_api, credentials_token, vault
):
    response = agent_api().json("post", "/register", registration(credentials_token))

    assert response.status_code == 201
    body = response.json()
    assert body["vault_name"] == "prod-vault"
    server = RegisteredServer.objects.get(pk=body["server_id"])
    assert (
        server.credential_hash
        == hashlib.sha256(body["credential"].encode()).hexdigest()
    )
    assert body["credential"] not in json.dumps(server.key_envelope)
    assert VaultCredential.objects.get().used_at is not None


def test_vault_credentials_work_once(agent_api, credentials_token):
    agent_api().json("post", "/register", registration(credentials_token))

    again = agent_api().json(
        "post", "/register", registration(credentials_token, name="second")
    )

    assert_error(again, 403, "SR-VAULT-CREDENTIALS")


def test_vault_credentials_expire_after_48_hours(agent_api, credentials_token):
    issued = VaultCredential.objects.get().created_at
    with time_machine.travel(issued + timedelta(hours=48), tick=False):
        late = agent_api().json("post", "/register", registration(credentials_token))
    assert_error(late, 403, "SR-VAULT-CREDENTIALS")

    just_in_time = issued + timedelta(hours=48) - timedelta(seconds=1)
    with time_machine.travel(just_in_time, tick=False):
        response = agent_api().json(
            "post", "/register", registration(credentials_token)
        )
    assert response.status_code == 201


def test_unknown_vault_credentials_are_refused(agent_api, vault):
    response = agent_api().json("post", "/register", registration("made-up"))

    assert_error(response, 403, "SR-VAULT-CREDENTIALS")


def test_a_taken_name_is_refused_and_the_credentials_stay_usable(
    agent_api, credentials_token, vault, make_credentialed_server
):
    make_credentialed_server(vault, "fileserver-01")

    taken = agent_api().json("post", "/register", registration(credentials_token))

    assert_error(taken, 409, "SR-SERVER-NAME")
    assert VaultCredential.objects.get().used_at is None
    other = agent_api().json(
        "post", "/register", registration(credentials_token, name="fileserver-02")
    )
    assert other.status_code == 201


def test_unknown_fields_are_refused_by_name(agent_api, credentials_token):
    response = agent_api().json(
        "post", "/register", registration(credentials_token, admin=True)
    )

    body = assert_error(response, 422, "SR-REQUEST-INVALID")
    assert body["errors"][0]["field"] == "admin"


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"agent_version": 2.09}, "agent_version"),
        ({"agent_version": "2.0.x"}, "agent_version"),
        ({"kind": "mainframe"}, "kind"),
        ({"name": "has space"}, "name"),
        ({"name": "x" * 101}, "name"),
    ],
)
def test_wrong_types_and_values_are_refused(
    agent_api, credentials_token, changes, field
):
    response = agent_api().json(
        "post", "/register", registration(credentials_token, **changes)
    )

    body = assert_error(response, 422, "SR-REQUEST-INVALID")
    assert field in body["detail"]
    assert not RegisteredServer.objects.exists()


def test_a_body_that_is_not_json_is_refused(agent_api, vault):
    response = agent_api().json("post", "/register", "{not json")

    assert_error(response, 400, "SR-REQUEST-INVALID")


def test_a_json_list_instead_of_an_object_is_refused(agent_api, vault):
    response = agent_api().json("post", "/register", "[1, 2]")

    assert_error(response, 422, "SR-REQUEST-INVALID")


def test_an_oversized_registration_is_refused(agent_api, vault, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    response = agent_api().json(
        "post", "/register", registration("t", product_version="x" * 2000)
    )

    assert_error(response, 413, "SR-REQUEST-TOO-LARGE")


# Server credentials


def test_a_missing_credential_is_refused(agent_api, vault):
    response = agent_api().get("/status")

    assert_error(response, 401, "SR-SERVER-CREDENTIAL")
    assert response["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize("header", ["Bearer wrong", "Basic abc", "Bearer", ""])
def test_a_wrong_credential_is_refused(client, server_api, header):
    response = client.get("/api/agent/v1/status", HTTP_AUTHORIZATION=header)

    assert_error(response, 401, "SR-SERVER-CREDENTIAL")


def test_status_describes_the_server_and_marks_it_seen(server_api):
    response = server_api.get("/status")

    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "fileserver-01"
    assert body["meets_minimum"] is True
    assert body["has_key_envelope"] is False
    server_api.server.refresh_from_db()
    assert server_api.server.last_seen_at is not None


def test_an_oversized_json_body_is_refused_before_it_is_read(server_api):
    response = server_api.json(
        "post", "/chunks/missing", {"ids": [digest(1)], "pad": "x" * 300_000}
    )

    assert_error(response, 413, "SR-REQUEST-TOO-LARGE")


# Key envelope


def test_the_key_envelope_is_stored_once(server_api, envelope):
    first = server_api.json("put", "/key-envelope", envelope)
    assert first.status_code == 204

    second = server_api.json("put", "/key-envelope", envelope)

    assert_error(second, 409, "SR-KEY-ENVELOPE-SET")
    server_api.server.refresh_from_db()
    assert server_api.server.key_envelope == envelope
    assert server_api.get("/key-envelope").json() == envelope


def test_a_malformed_key_envelope_is_refused(server_api, envelope):
    response = server_api.json("put", "/key-envelope", {**envelope, "n": 2**30})

    assert_error(response, 422, "SR-REQUEST-INVALID")
    server_api.server.refresh_from_db()
    assert server_api.server.key_envelope == {}


def test_an_absent_key_envelope_is_a_clear_error(server_api):
    response = server_api.get("/key-envelope")

    assert_error(response, 409, "SR-NO-KEY-ENVELOPE")


def test_another_servers_envelope_is_readable_within_the_vault(
    server_api, vault, make_credentialed_server, envelope
):
    make_credentialed_server(vault, "original", key_envelope=envelope)

    response = server_api.get("/key-envelope", server="original")

    assert response.json() == envelope
    missing = server_api.get("/key-envelope", server="elsewhere")
    assert_error(missing, 404, "SR-NOT-FOUND")


# Chunks


def test_only_missing_chunks_are_asked_for(server_api, vault):
    Chunk.objects.create(vault=vault, digest=digest(1), size=40, blob="x")

    response = server_api.json(
        "post", "/chunks/missing", {"ids": [digest(1), digest(2)]}
    )

    assert response.json() == {"missing": [digest(2)]}


def test_a_malformed_chunk_id_is_refused(server_api):
    response = server_api.json("post", "/chunks/missing", {"ids": ["../etc"]})

    assert_error(response, 422, "SR-REQUEST-INVALID")


def test_a_chunk_is_stored_once_and_never_overwritten(server_api, vault):
    original = os.urandom(100)

    created = server_api.put_bytes(f"/chunks/{digest(1)}", original)
    again = server_api.put_bytes(f"/chunks/{digest(1)}", os.urandom(100))

    assert created.status_code == 201
    assert again.status_code == 200
    chunk = Chunk.objects.get(vault=vault)
    assert chunk.size == 100
    assert chunk.blob == f"vaults/{vault.pk}/chunks/{digest(1)[:2]}/{digest(1)}"
    fetched = server_api.get(f"/chunks/{digest(1)}")
    assert fetched.status_code == 200
    assert b"".join(fetched.streaming_content) == original


def test_an_oversized_chunk_is_refused(server_api):
    response = server_api.put_bytes(f"/chunks/{digest(1)}", b"x" * (4 * 2**20 + 1))

    assert_error(response, 413, "SR-REQUEST-TOO-LARGE")
    assert not Chunk.objects.exists()


def test_a_chunk_too_short_to_be_ciphertext_is_refused(server_api):
    response = server_api.put_bytes(f"/chunks/{digest(1)}", b"short")

    assert_error(response, 422, "SR-REQUEST-INVALID")


def test_a_chunk_path_must_be_a_digest(server_api):
    response = server_api.put_bytes("/chunks/not-a-digest", b"x" * 100)

    assert_error(response, 422, "SR-REQUEST-INVALID")


def test_another_vaults_chunk_is_not_found(server_api, subscription):
    other = Vault.objects.create(subscription=subscription, name="other-vault")
    Chunk.objects.create(vault=other, digest=digest(1), size=40, blob="x")

    response = server_api.get(f"/chunks/{digest(1)}")

    assert_error(response, 404, "SR-NOT-FOUND")


# Protected items and recovery points


def test_protecting_needs_a_policy_of_the_vault(server_api):
    response = server_api.json(
        "post", "/items", {"source": "/srv/data", "policy": "Nope"}
    )

    assert_error(response, 404, "SR-POLICY-NOT-FOUND")


def point_body(source="/srv/data", chunks=(), manifest=b"sealed manifest bytes"):
    return {
        "source": source,
        "manifest": base64.b64encode(manifest).decode(),
        "chunks": list(chunks),
        "stats": {"files": 2, "bytes": 12345},
    }


@pytest.fixture
def protected(server_api, policy):
    response = server_api.json(
        "post", "/items", {"source": "/srv/data", "policy": "DefaultPolicy"}
    )
    assert response.status_code == 200
    return ProtectedItem.objects.get()


def test_a_point_records_its_manifest_and_chunk_links(server_api, protected):
    for number in (1, 2):
        server_api.put_bytes(f"/chunks/{digest(number)}", os.urandom(64))

    response = server_api.json(
        "post", "/points", point_body(chunks=[digest(1), digest(2)])
    )

    assert response.status_code == 201
    point = RecoveryPoint.objects.get(pk=response.json()["id"])
    assert point.item == protected
    assert (point.size, point.file_count) == (12345, 2)
    assert sorted(point.chunks.values_list("digest", flat=True)) == [
        digest(1),
        digest(2),
    ]
    # The item's first point is also its first of the year: the yearly
    # range of the default policy (3 years) keeps it longest.
    assert point.expires_at.year == point.taken_at.year + 3
    manifest = server_api.get(f"/points/{point.pk}/manifest")
    assert b"".join(manifest.streaming_content) == b"sealed manifest bytes"
    listed = server_api.get("/points", source="/srv/data").json()
    assert [entry["id"] for entry in listed] == [point.pk]


def test_a_point_with_chunks_not_uploaded_is_refused(server_api, protected):
    response = server_api.json("post", "/points", point_body(chunks=[digest(9)]))

    assert_error(response, 409, "SR-CHUNKS-MISSING")
    assert not RecoveryPoint.objects.exists()


def test_a_point_of_an_unprotected_folder_is_refused(server_api, protected):
    response = server_api.json("post", "/points", point_body(source="/elsewhere"))

    assert_error(response, 409, "SR-NOT-PROTECTED")


@pytest.mark.parametrize(
    "changes",
    [
        {"manifest": "not base64!"},
        {"stats": {"files": "2"}},
        {"stats": {"files": -1}},
        {"chunks": ["ZZ"]},
        {"extra": 1},
    ],
)
def test_a_malformed_point_is_refused(server_api, protected, changes):
    response = server_api.json("post", "/points", {**point_body(), **changes})

    assert_error(response, 422, "SR-REQUEST-INVALID")


def test_a_point_body_that_is_not_json_is_refused(server_api, protected):
    response = server_api.json("post", "/points", "{oops")

    assert_error(response, 422, "SR-REQUEST-INVALID")


def test_another_vaults_point_is_not_found(server_api, protected, subscription):
    other_vault = Vault.objects.create(subscription=subscription, name="other")
    other_server = RegisteredServer.objects.create(
        vault=other_vault, name="x", agent_version="2.0.9200", credential_hash="h"
    )
    item = ProtectedItem.objects.create(server=other_server, source="/srv")
    point = RecoveryPoint.objects.create(item=item, manifest_blob="m")

    response = server_api.get(f"/points/{point.pk}/manifest")

    assert_error(response, 404, "SR-NOT-FOUND")


# The API as a whole


def test_the_openapi_document_is_served(client):
    response = client.get("/api/agent/v1/openapi.json")

    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "/api/agent/v1/register" in paths
    assert "/api/agent/v1/change-passphrase" in paths


def test_an_unknown_api_path_is_a_json_404(client):
    response = client.post("/api/agent/v1/nothing-here")

    assert_error(response, 404, "SR-NOT-FOUND")


def test_points_list_is_capped(server_api, protected):
    response = server_api.get("/points", source="/srv/data", limit=100000)

    assert_error(response, 422, "SR-REQUEST-INVALID")


def test_last_seen_is_written_at_most_once_a_minute(server_api):
    now = timezone.now()
    RegisteredServer.objects.filter(pk=server_api.server.pk).update(last_seen_at=now)

    with time_machine.travel(now + timedelta(seconds=30), tick=False):
        server_api.get("/status")
    server_api.server.refresh_from_db()
    assert server_api.server.last_seen_at == now

    with time_machine.travel(now + timedelta(seconds=61), tick=False):
        server_api.get("/status")
    server_api.server.refresh_from_db()
    assert server_api.server.last_seen_at == now + timedelta(seconds=61)


# Text the database cannot hold


@pytest.mark.parametrize(
    "method, path, payload",
    [
        ("post", "/items", {"source": "/srv/da\x00ta", "policy": "DefaultPolicy"}),
        ("post", "/items", {"source": "/srv/data", "policy": "Default\x00Policy"}),
        (
            "post",
            "/items/stop-protection",
            {"source": "/srv/da\x00ta", "delete_data": True, "pin": "1234\x005678"},
        ),
        ("post", "/change-passphrase", {"pin": "1234\x005678"}),
    ],
)
def test_a_nul_character_in_a_text_field_is_refused(
    server_api, policy, method, path, payload
):
    response = server_api.json(method, path, payload)

    assert_error(response, 422, "SR-REQUEST-INVALID")
    assert not ProtectedItem.objects.filter(source__contains="da").exists()


def test_a_nul_character_in_a_registration_is_refused(agent_api, credentials_token):
    response = agent_api().json(
        "post", "/register", registration(credentials_token, product_version="x\x00")
    )

    assert_error(response, 422, "SR-REQUEST-INVALID")
    assert not RegisteredServer.objects.exists()


@pytest.mark.parametrize(
    "path, query",
    [
        ("/points", {"source": "/srv/da\x00ta"}),
        ("/key-envelope", {"server": "file\x00server"}),
        ("/policies/Default%00Policy", {}),
    ],
)
def test_a_nul_character_in_a_query_is_refused(server_api, policy, path, query):
    response = server_api.get(path, **query)

    assert response.status_code in {404, 422}, response.content
    assert response.json()["code"] in {"SR-REQUEST-INVALID", "SR-NOT-FOUND"}


def test_a_wrong_method_gets_the_catalogues_json(client, db):
    response = client.delete("/api/agent/v1/status")
    assert response.status_code == 405
    assert response.json()["code"] == "SR-METHOD"
    assert "GET" in response["Allow"]


def test_a_bad_server_name_is_explained_in_words(agent_api, credentials_token):
    response = agent_api().json(
        "post", "/register", registration(credentials_token, name="bad name!")
    )

    body = assert_error(response, 422, "SR-REQUEST-INVALID")
    assert "letters, digits, dots, hyphens and underscores" in body["detail"]
    assert "^[" not in body["detail"]
