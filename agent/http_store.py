"""Talk to the portal's agent API: a small JSON client and a Store over it."""

import base64
import json
import urllib.error
import urllib.parse
import urllib.request

from agent.errors import (
    AgentError,
    BadInput,
    ChunkMissing,
    PointNotFound,
    PortalAnswerUnexpected,
    PortalUnreachable,
)
from agent.store import Store

API_PREFIX = "/api/agent/v1"
MISSING_BATCH = 1000
TIMEOUT_SECONDS = 120


class PortalClient:
    """Send JSON or bytes to the agent API and turn its errors into AgentErrors."""

    def __init__(self, portal_url, credential=None, user_agent="strongroom-agent"):
        if not portal_url.startswith(("https://", "http://")):
            raise BadInput(
                f"The portal address {portal_url!r} is not an http(s) URL.",
                action="Check the portal_url in the vault credentials file.",
            )
        self.base = portal_url.rstrip("/") + API_PREFIX
        self._credential = credential
        self._user_agent = user_agent

    def __repr__(self):
        # The credential stays out of any traceback or log line.
        return f"<PortalClient {self.base}>"

    def call(self, method, path, payload=None, *, query=None):
        """Send a JSON request and return the decoded JSON answer (or None)."""
        body = None
        if payload is not None:
            body = json.dumps(payload).encode("utf-8")
        raw = self.send(method, path, body, "application/json", query=query)
        if not raw:
            return None
        try:
            return json.loads(raw)
        except ValueError:
            raise PortalAnswerUnexpected(cause="The answer is not JSON.") from None

    def send(self, method, path, body=None, content_type=None, *, query=None):
        """Send a request and return the answer's bytes."""
        url = self.base + path
        if query:
            url += "?" + urllib.parse.urlencode(query)
        request = urllib.request.Request(url, data=body, method=method)  # noqa: S310
        request.add_header("User-Agent", self._user_agent)
        request.add_header("Accept", "application/json")
        if body is not None:
            request.add_header("Content-Type", content_type or "application/json")
        if self._credential:
            request.add_header("Authorization", f"Bearer {self._credential}")
        try:
            # The scheme was checked to be http(s) when the client was made.
            opened = urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS)  # noqa: S310
            with opened as answer:
                return answer.read()
        except urllib.error.HTTPError as exc:
            raise _portal_error(exc) from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise PortalUnreachable(cause=f"{self.base}: {reason}") from None


def _portal_error(exc):
    """Build an AgentError carrying the portal's catalogue code and action."""
    try:
        body = json.loads(exc.read() or b"{}")
    except ValueError:
        body = {}
    finally:
        exc.close()
    if not isinstance(body, dict) or "code" not in body:
        return PortalAnswerUnexpected(cause=f"HTTP {exc.code}")
    cause = " ".join(
        part for part in (body.get("cause", ""), body.get("detail", "")) if part
    )
    error = AgentError(
        body.get("message") or None,
        code=str(body["code"]),
        action=body.get("action") or None,
        cause=cause,
    )
    error.status = exc.code
    return error


class HttpStore(Store):
    """Keep chunks and recovery points in a vault through the agent API."""

    def __init__(self, client):
        self._client = client
        # Backup asks once about every distinct chunk of a run, present or
        # not, so the IDs seen here since the last point are exactly the
        # chunks the next point refers to; the portal keeps those links.
        self._referenced = set()

    def missing_chunks(self, chunk_ids):
        ids = sorted(set(chunk_ids))
        self._referenced.update(ids)
        missing = set()
        for start in range(0, len(ids), MISSING_BATCH):
            answer = self._client.call(
                "POST", "/chunks/missing", {"ids": ids[start : start + MISSING_BATCH]}
            )
            missing.update(answer["missing"])
        return missing

    def put_chunk(self, chunk_id, ciphertext):
        self._client.send(
            "PUT", f"/chunks/{chunk_id}", bytes(ciphertext), "application/octet-stream"
        )

    def get_chunk(self, chunk_id):
        try:
            return self._client.send("GET", f"/chunks/{chunk_id}")
        except AgentError as exc:
            if getattr(exc, "status", None) == 404:
                raise ChunkMissing(cause=f"Chunk {chunk_id} is not stored.") from None
            raise

    def put_point(self, item_path, manifest_ciphertext, stats):
        payload = {
            "source": item_path,
            "manifest": base64.b64encode(bytes(manifest_ciphertext)).decode("ascii"),
            "chunks": sorted(self._referenced),
            "stats": dict(stats),
        }
        answer = self._client.call("POST", "/points", payload)
        self._referenced.clear()
        return str(answer["id"])

    def get_point(self, point_id):
        if not str(point_id).isdigit():
            raise PointNotFound(cause=f"{point_id!r} is not a recovery point ID.")
        try:
            return self._client.send("GET", f"/points/{point_id}/manifest")
        except AgentError as exc:
            if getattr(exc, "status", None) == 404:
                raise PointNotFound(cause=f"No point {point_id}.") from None
            raise
