"""A real Celery worker on Redis against the PostgreSQL test database."""

import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import quote, urlparse

import pytest
from django.conf import settings
from django.db import connection

from portal.celery import app
from tests.conftest import free_port, wait_for
from tests.services_up import answers

ROOT = Path(__file__).resolve().parents[2]


def refuse_or_skip(reason):
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true and {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def services(django_db_setup):
    """Fail under CI, skip elsewhere, unless PostgreSQL and Redis both answer."""
    if connection.vendor != "postgresql":
        refuse_or_skip("these tests need DATABASE_URL to name PostgreSQL.")
    if not settings.CELERY_BROKER_URL.startswith("redis://"):
        refuse_or_skip("these tests need CELERY_BROKER_URL to name Redis.")
    if not answers(settings.CELERY_BROKER_URL, 6379):
        refuse_or_skip("Redis does not answer at CELERY_BROKER_URL.")


def worker_database_url():
    """Return a URL for the test database that pytest-django created."""
    db = connection.settings_dict
    auth = quote(db["USER"] or "")
    if db["PASSWORD"]:
        auth += ":" + quote(db["PASSWORD"])
    host = db["HOST"] or "127.0.0.1"
    return f"postgres://{auth}@{host}:{db['PORT'] or 5432}/{db['NAME']}"


class Worker:
    def __init__(self, log_path, queue):
        self.log_path = log_path
        self.queue = queue

    def log(self):
        return self.log_path.read_text(errors="replace")

    def wait_until_done(self, task_id, timeout=20):
        wait_for(
            lambda: f"[{task_id}] succeeded" in self.log(),
            timeout,
            what=f"task {task_id} to finish",
        )


@pytest.fixture(scope="session")
def celery_worker(services, smtp_server_session, tmp_path_factory):
    """Start `celery -A portal worker` on its own queue; stop it at the end."""
    # A queue of its own, so that other test runs sharing this Redis database
    # neither take these tasks nor hand theirs to this worker.
    queue = f"strongroom-test-{uuid.uuid4().hex[:10]}"
    log_path = tmp_path_factory.mktemp("worker") / "worker.log"
    env = {
        **os.environ,
        "DATABASE_URL": worker_database_url(),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "EMAIL_HOST": smtp_server_session.host,
        "EMAIL_PORT": str(smtp_server_session.port),
        "EMAIL_TIMEOUT": "10",
        "ALERT_RETRY_BASE_SECONDS": "1",
        "STRONGROOM_VAR_DIR": str(settings.VAR_DIR),
        "CELERY_QUEUE": queue,
        "PYTHONUNBUFFERED": "1",
    }
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "portal",
        "worker",
        "-n",
        f"{queue}@%h",
        "--concurrency=2",
        "--loglevel=INFO",
        "--without-heartbeat",
        "--without-gossip",
        "--without-mingle",
    ]
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    previous_queue = app.conf.task_default_queue
    app.conf.task_default_queue = queue
    try:
        wait_for(
            lambda: " ready." in log_path.read_text() or process.poll() is not None,
            timeout=30,
            what="the Celery worker to start",
        )
        if process.poll() is not None:
            pytest.fail("The Celery worker stopped:\n" + log_path.read_text())
        yield Worker(log_path, queue)
    finally:
        app.conf.task_default_queue = previous_queue
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def closed_broker_url():
    """Return a Redis URL on a port where nothing listens."""
    parts = urlparse(settings.CELERY_BROKER_URL)
    return parts._replace(netloc=f"127.0.0.1:{free_port()}").geturl()
