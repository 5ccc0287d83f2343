"""The agent API under /api/agent/v1/: JSON errors from the catalogue, never a 500."""

import logging

from django.core.exceptions import RequestDataTooBig
from django.http import Http404, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from vaults.errors import (
    INTERNAL_ERROR,
    NOT_FOUND,
    REQUEST_INVALID,
    REQUEST_TOO_LARGE,
    SERVER_CREDENTIAL_INVALID,
    OperationRefused,
)

logger = logging.getLogger(__name__)

api = NinjaAPI(
    title="Strongroom agent API",
    version="1",
    description="What a registered server's strongroom-agent calls.",
    urls_namespace="agent-api",
    docs_url=None,
)


def error_response(entry, detail="", status=None, **extra):
    body = entry.as_dict(detail)
    body.update(extra)
    return JsonResponse(body, status=status or entry.status)


@api.exception_handler(OperationRefused)
def refused(request, exc):
    return error_response(exc.entry, exc.detail)


@api.exception_handler(AuthenticationError)
def unauthenticated(request, exc):
    response = error_response(SERVER_CREDENTIAL_INVALID)
    response["WWW-Authenticate"] = "Bearer"
    return response


@api.exception_handler(ValidationError)
def invalid(request, exc):
    errors = [_field_error(error) for error in exc.errors]
    detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
    return error_response(REQUEST_INVALID, detail, errors=errors)


def _field_error(error):
    # Ninja prefixes the location with the parameter kind and name, which
    # mean nothing to the agent; the field path inside the body does.
    location = [str(part) for part in error.get("loc", ())]
    while location and location[0] in {"body", "payload", "query", "path"}:
        location.pop(0)
    field = ".".join(location) or "body"
    message = error.get("msg", "")
    if error.get("type") == "string_pattern_mismatch":
        message = PATTERN_MESSAGES.get(field, "does not have the expected form")
    return {"field": field, "message": message}


# A regular expression is no message for a person at a terminal.
PATTERN_MESSAGES = {
    "name": "use 1 to 100 letters, digits, dots, hyphens and underscores, "
    "starting with a letter or digit",
    "agent_version": "use dotted numbers, such as 2.0.9052",
}


@api.exception_handler(RequestDataTooBig)
def too_large(request, exc):
    return error_response(REQUEST_TOO_LARGE)


@api.exception_handler(HttpError)
def http_error(request, exc):
    if exc.status_code == 400:
        return error_response(REQUEST_INVALID, str(exc), status=400)
    return error_response(REQUEST_INVALID, str(exc), status=exc.status_code)


@api.exception_handler(Http404)
def not_found(request, exc):
    return error_response(NOT_FOUND)


@api.exception_handler(Exception)
def unexpected(request, exc):
    logger.exception("agent API failed path=%s", request.path)
    return error_response(INTERNAL_ERROR)


@csrf_exempt
def unknown_path(request, *args, **kwargs):
    """Answer paths outside the API's routes with a JSON 404."""
    return error_response(NOT_FOUND, detail="No such API path.")


from vaults.api import endpoints  # noqa: E402,F401  (registers the routes)
