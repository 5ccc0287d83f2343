"""Slow down password guessing per user name and per client address.

Failures are counted in the cache for a window; when the window ends the
count is gone, so an attacker cannot lock the real user out for good.
"""

import math

from django.core.cache import cache
from django.utils import timezone

MAX_FAILURES = 5
WINDOW_SECONDS = 15 * 60


def _keys(username, address):
    keys = [f"signin-fail:user:{(username or '').strip().lower()}"]
    if address:
        keys.append(f"signin-fail:addr:{address}")
    return keys


def seconds_blocked(username, address):
    """Return how long sign-in stays blocked, or 0 when it is allowed."""
    now = timezone.now().timestamp()
    waits = []
    for key in _keys(username, address):
        entry = cache.get(key)
        if entry and entry["count"] >= MAX_FAILURES:
            waits.append(math.ceil(entry["started"] + WINDOW_SECONDS - now))
    return max([w for w in waits if w > 0], default=0)


def record_failure(username, address):
    now = timezone.now().timestamp()
    for key in _keys(username, address):
        entry = cache.get(key)
        if not entry or entry["started"] + WINDOW_SECONDS <= now:
            entry = {"count": 0, "started": now}
        entry["count"] += 1
        cache.set(key, entry, WINDOW_SECONDS)


def clear_failures(username):
    cache.delete(_keys(username, None)[0])
