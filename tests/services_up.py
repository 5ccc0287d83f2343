"""Exit 0 when PostgreSQL and Redis answer at the given URLs, 1 otherwise."""

import socket
import sys
from urllib.parse import urlparse


def answers(url, default_port):
    parts = urlparse(url)
    try:
        with socket.create_connection(
            (parts.hostname or "127.0.0.1", parts.port or default_port), timeout=2
        ):
            return True
    except OSError:
        return False


if __name__ == "__main__":
    pg_url, redis_url = sys.argv[1], sys.argv[2]
    ok = answers(pg_url, 5432) and answers(redis_url, 6379)
    sys.exit(0 if ok else 1)
