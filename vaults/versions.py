"""Minimum client versions for security features, compared as numbers."""

import re

MINIMUM_AGENT = (2, 0, 9052)
MINIMUM_BACKUP_SERVER_UPDATE = 1
# Data Protection Manager: the first update rollup of each release that
# carries the security features. Releases after 2016 have them from the start.
MINIMUM_DPM_ROLLUP = {"2012 r2": 12, "2016": 2}
DPM_RELEASES_WITHOUT_FEATURES = {"2010", "2012", "2012 sp1"}


def parse_version(text):
    """Turn '2.0.9052' into (2, 0, 9052); None when it is not dotted numbers."""
    text = (text or "").strip()
    if not re.fullmatch(r"\d+(\.\d+){0,3}", text):
        return None
    return tuple(int(part) for part in text.split("."))


def backup_server_update(product_version):
    match = re.search(r"(?:update|ur)\s*(\d+)", (product_version or "").lower())
    return int(match.group(1)) if match else None


def dpm_release_and_rollup(product_version):
    text = " ".join((product_version or "").lower().split())
    match = re.fullmatch(r"(\d{4}(?: r2| sp1)?)(?: ur\s*(\d+))?", text)
    if not match:
        return None, None
    rollup = int(match.group(2)) if match.group(2) else 0
    return match.group(1), rollup


def meets_minimum(kind, agent_version, product_version=""):
    agent = parse_version(agent_version)
    if agent is None or agent < MINIMUM_AGENT:
        return False
    if kind == "backup-server":
        update = backup_server_update(product_version)
        return update is not None and update >= MINIMUM_BACKUP_SERVER_UPDATE
    if kind == "dpm":
        release, rollup = dpm_release_and_rollup(product_version)
        if release is None or release in DPM_RELEASES_WITHOUT_FEATURES:
            return False
        return rollup >= MINIMUM_DPM_ROLLUP.get(release, 0)
    return True


def minimum_description(kind):
    if kind == "backup-server":
        return "agent 2.0.9052 or later with Backup Server update 1 or later"
    if kind == "dpm":
        return (
            "agent 2.0.9052 or later with Data Protection Manager 2012 R2 UR12 "
            "or later, or 2016 UR2 or later"
        )
    return "agent 2.0.9052 or later"
