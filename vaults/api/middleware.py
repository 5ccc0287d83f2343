from vaults.api import error_response
from vaults.errors import METHOD_NOT_ALLOWED

API_PREFIX = "/api/agent/"


class JsonMethodNotAllowedMiddleware:
    """Answer a wrong method on an agent API path in the catalogue's JSON.

    django-ninja answers it itself in plain text, before any of the API's
    exception handlers can run.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code == 405 and request.path.startswith(API_PREFIX):
            allowed = response.get("Allow", "")
            replacement = error_response(
                METHOD_NOT_ALLOWED, detail=f"Allowed methods: {allowed}."
            )
            replacement["Allow"] = allowed
            return replacement
        return response
