"""Backups kept in S3-compatible storage through django-storages.

moto's server stands in for the object store: a real HTTP S3 endpoint on
127.0.0.1 that boto3 talks to as it would to any S3-compatible service.
"""

import boto3
import pytest
from moto.server import ThreadedMotoServer

from tests.agent_journey import build_tree, describe, pin_for
from tests.conftest import free_port
from vaults import soft_delete
from vaults.models import Chunk, ItemState, ProtectedItem

BUCKET = "strongroom-test"


@pytest.fixture
def s3_endpoint():
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def bucket(s3_endpoint, settings, live_portal):
    options = {
        "bucket_name": BUCKET,
        "endpoint_url": s3_endpoint,
        "access_key": "test-access",
        "secret_key": "test-secret",
        "region_name": "us-east-1",
        "file_overwrite": False,
    }
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options},
    }
    client = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        aws_access_key_id="test-access",
        aws_secret_access_key="test-secret",
        region_name="us-east-1",
    )
    client.create_bucket(Bucket=BUCKET)
    return client


def object_names(client):
    listing = client.list_objects_v2(Bucket=BUCKET)
    return {entry["Key"] for entry in listing.get("Contents", [])}


def test_backups_live_in_s3_and_are_purged_from_it(
    bucket,
    vault,
    policy,
    admin_user,
    download_credentials,
    agent,
    passphrase_files,
    tmp_path,
):
    passphrase, _ = passphrase_files
    source = build_tree(tmp_path / "source")
    agent(
        "register",
        "--vault-credentials",
        str(download_credentials("s3")),
        "--name",
        "fileserver-01",
        "--passphrase-file",
        str(passphrase),
    )
    agent("protect", str(source), "--policy", "DefaultPolicy")
    agent("backup", str(source))

    stored = object_names(bucket)
    assert {chunk.blob for chunk in Chunk.objects.all()} <= stored
    assert any("/manifests/" in name for name in stored)
    readme = (source / "docs" / "readme.txt").read_bytes()
    assert not any(
        readme in bucket.get_object(Bucket=BUCKET, Key=n)["Body"].read() for n in stored
    )

    agent(
        "restore",
        str(source),
        "--to",
        str(tmp_path / "restored"),
        "--passphrase-file",
        str(passphrase),
    )
    assert describe(tmp_path / "restored") == describe(source)

    agent(
        "stop-protection",
        str(source),
        "--delete-data",
        "--pin",
        pin_for(vault, admin_user),
    )
    item = ProtectedItem.objects.get(source=str(source))
    assert item.state == ItemState.SOFT_DELETED
    assert object_names(bucket) == stored
    soft_delete.purge_item(item)
    assert object_names(bucket) == set()
