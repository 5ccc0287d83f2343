"""Server credentials: a bearer token, checked by the hash kept on the portal."""

from ninja.security import HttpBearer

from vaults import server_rules
from vaults.errors import REQUEST_TOO_LARGE, OperationRefused

JSON_BODY_LIMIT = 256 * 1024


def content_length(request):
    try:
        return max(int(request.META.get("CONTENT_LENGTH") or 0), 0)
    except ValueError:
        return 0


class ServerCredential(HttpBearer):
    """Authenticate a registered server and cap its request body."""

    def __init__(self, body_limit=JSON_BODY_LIMIT):
        super().__init__()
        self.body_limit = body_limit

    def authenticate(self, request, token):
        server = server_rules.server_for_credential(token)
        if server is None:
            return None
        # Checked here, before ninja reads the body, so an oversized request
        # is refused without being held in memory.
        if content_length(request) > self.body_limit:
            raise OperationRefused(
                REQUEST_TOO_LARGE,
                detail=f"This operation accepts up to {self.body_limit} bytes.",
            )
        return server
