"""The vault's additional alert recipients, and the rule for changing them.

Addresses are stored in one form: lower case, with the domain in its ASCII
(IDNA 2008, punycode) form, e.g. bob@xn--bcher-kva.example for
bob@bücher.example. That is what SMTP needs without SMTPUTF8, and it makes
the two spellings of one domain the same recipient. Pages show the Unicode
form beside it.
"""

import re
from dataclasses import dataclass

import idna
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from vaults import audit
from vaults.access import require_console_permission, require_role, require_verified
from vaults.models import AlertRecipient, Operation, Outcome, Role, Vault

# Anything that could end a header line, start another address or name a
# display name is refused rather than cleaned, so what is stored is what was
# typed.
FORBIDDEN = re.compile(r"[\s<>,;:\"()\[\]\\]|[\x00-\x1f\x7f]")
LINE_BREAK = re.compile(r"[\r\n\x0b\x0c\x85\u2028\u2029]")
MAX_LENGTH = 254


@dataclass(frozen=True)
class Change:
    added: tuple
    removed: tuple
    enabled_before: bool
    enabled_after: bool

    @property
    def is_empty(self):
        no_switch = self.enabled_before == self.enabled_after
        return not self.added and not self.removed and no_switch


def max_recipients():
    return settings.STRONGROOM["MAX_ALERT_RECIPIENTS"]


def normalise_address(raw):
    """Return the stored form of one address or raise ValidationError."""
    address = (raw or "").strip()
    if not address:
        raise ValidationError("Enter an email address.")
    shown = address[:60]
    if LINE_BREAK.search(address):
        raise ValidationError(f"{shown!r}: an address cannot contain line breaks.")
    if FORBIDDEN.search(address):
        raise ValidationError(
            f"{shown}: enter a bare address such as name@example.com, without "
            "a display name, spaces, quotes or separators."
        )
    local, at, domain = address.rpartition("@")
    if not at or not local or not domain or "@" in local:
        raise ValidationError(f"{shown}: an address needs one @ and a domain.")
    if not local.isascii():
        raise ValidationError(
            f"{shown}: the part before @ must use ASCII letters, digits and "
            "punctuation; only the domain may use other scripts."
        )
    try:
        ascii_domain = idna.encode(domain, uts46=True).decode("ascii")
    except idna.IDNAError:
        raise ValidationError(f"{shown}: {domain} is not a valid domain.") from None
    stored = f"{local}@{ascii_domain}".lower()
    if len(stored) > MAX_LENGTH:
        raise ValidationError(f"{shown}: an address has at most 254 characters.")
    try:
        validate_email(stored)
    except ValidationError:
        raise ValidationError(f"{shown}: this is not a valid email address.") from None
    return stored


def display_address(stored):
    """Return the address with its domain in Unicode, for people to read."""
    local, _, domain = stored.rpartition("@")
    try:
        return f"{local}@{idna.decode(domain)}"
    except idna.IDNAError:
        return stored


def plan(before, add, remove):
    """Return the list after the change, or raise ValidationError."""
    before = set(before)
    remove = {address.strip().lower() for address in remove}
    errors = []
    after = before - remove
    seen = set()
    for address in add:
        if address in seen:
            errors.append(f"{display_address(address)} is listed twice.")
        elif address in after:
            errors.append(f"{display_address(address)} is already a recipient.")
        seen.add(address)
        after.add(address)
    if len(after) > max_recipients():
        errors.append(
            f"A vault can have at most {max_recipients()} additional recipients; "
            f"this change would make {len(after)}. Remove some first."
        )
    if errors:
        raise ValidationError(errors)
    return after


def describe(change):
    parts = []
    if change.added:
        parts.append("Added " + ", ".join(change.added) + ".")
    if change.removed:
        parts.append("Removed " + ", ".join(change.removed) + ".")
    if change.enabled_before != change.enabled_after:
        state = "on" if change.enabled_after else "off"
        parts.append(f"Email to additional recipients turned {state}.")
    text = " ".join(parts)
    return text if len(text) <= 500 else text[:497] + "..."


def configure_notifications(
    vault,
    user,
    *,
    enabled,
    add=(),
    remove=(),
    client_address=None,
    console=False,
):
    """Change the switch and the list; audit it and alert both lists."""
    require_verified(user)
    if console:
        require_console_permission(user)
    else:
        require_role(user, vault, (Role.ADMIN,))
    add = [normalise_address(address) for address in add]
    with transaction.atomic():
        locked = Vault.objects.select_for_update().get(pk=vault.pk)
        before = set(locked.alert_recipients.values_list("email", flat=True))
        after = plan(before, add, remove)
        change = Change(
            added=tuple(sorted(after - before)),
            removed=tuple(sorted(before - after)),
            enabled_before=locked.email_notifications_enabled,
            enabled_after=bool(enabled),
        )
        if change.is_empty:
            return change
        apply(locked, change)
        event = audit.record(
            locked,
            Operation.RECIPIENTS_CHANGED,
            Outcome.ALLOWED,
            user=user,
            detail=describe(change),
            client_address=client_address,
            alert=False,
        )
        from vaults.alerts import queue_alert

        # Sent to the list as it was and as it is, whatever the switch says:
        # someone removing every recipient or turning email off must not be
        # able to do it silently.
        queue_alert(event, also_to=before | after)
    return change


def apply(vault, change):
    vault.alert_recipients.filter(email__in=change.removed).delete()
    AlertRecipient.objects.bulk_create(
        AlertRecipient(vault=vault, email=address) for address in change.added
    )
    if change.enabled_before != change.enabled_after:
        vault.email_notifications_enabled = change.enabled_after
        vault.save(update_fields=["email_notifications_enabled"])
