"""The error catalogue: one entry a failure, shown alike on blades, API and agent."""

from dataclasses import dataclass


@dataclass(frozen=True)
class CatalogueEntry:
    code: str
    message: str
    cause: str
    action: str
    status: int = 400

    def as_dict(self, detail=""):
        body = {
            "code": self.code,
            "message": self.message,
            "cause": self.cause,
            "action": self.action,
        }
        if detail:
            body["detail"] = detail
        return body


PIN_INCORRECT = CatalogueEntry(
    code="100130",
    message="Security PIN entered is incorrect.",
    cause="The security PIN is wrong, has expired, was already used, or "
    "belongs to another vault.",
    action="Generate a new PIN in the portal (Recovery Services vault > "
    "Properties > Security PIN > Generate) and use it within five minutes.",
    status=403,
)
PASSPHRASE_CLIENT_UNSUPPORTED = CatalogueEntry(
    code="120002",
    message="Operation failed.",
    cause="Security settings are on for this vault and this client is older "
    "than the minimum version for security features.",
    action="Update the backup agent to 2.0.9052 or later (Backup Server to "
    "update 1 or later; DPM to 2012 R2 UR12 or 2016 UR2 or later), then "
    "generate a security PIN in Properties and change the passphrase again.",
    status=403,
)
RETENTION_CLIENT_UNSUPPORTED = CatalogueEntry(
    code="0x29834",
    message="The backup policy could not be modified. The current operation "
    "failed due to an internal service error.",
    cause="Security settings are on, the new retention is below the minimum, "
    "and this client is older than the minimum version for security features.",
    action="Keep retention at or above the minimum (7 days daily, 4 weeks "
    "weekly, 3 months monthly, 1 year yearly), and update the agent, Backup "
    "Server or DPM to a supported version.",
    status=403,
)
RETENTION_BELOW_MINIMUM = CatalogueEntry(
    code="SR-RETENTION-MINIMUM",
    message="Retention is below the minimum kept while security settings are on.",
    cause="Security settings keep at least 7 days daily, 4 weeks weekly, "
    "3 months monthly and 1 year yearly.",
    action="Choose a retention at or above each minimum.",
)
SECURITY_CANNOT_BE_DISABLED = CatalogueEntry(
    code="SR-SEC-PERMANENT",
    message="Security settings cannot be turned off once they are on.",
    cause="Turning security settings on is a one-time action.",
    action="Nothing to do: the vault stays protected. If this attempt was not "
    "yours, review the vault's Audit log.",
    status=409,
)
MFA_ANSWER_REQUIRED = CatalogueEntry(
    code="SR-MFA-ANSWER",
    message="Answer whether multi-factor authentication is configured first.",
    cause="Security settings can be enabled only after that question has an answer.",
    action="Choose Yes or No for 'Have you configured multi-factor "
    "authentication?', then Enable and Save.",
)
MFA_NOT_SET_UP = CatalogueEntry(
    code="SR-MFA-NOT-SET-UP",
    message="You answered Yes, but you have no authenticator app set up.",
    cause="'Have you configured multi-factor authentication?' can be answered "
    "Yes only by someone with an active authenticator app.",
    action="Set up an authenticator app under Multi-factor authentication, then "
    "answer Yes; or answer No.",
)
NOT_ALLOWED = CatalogueEntry(
    code="SR-FORBIDDEN",
    message="You do not have the role this operation needs.",
    cause="The operation needs the administrator role on the vault's subscription.",
    action="Ask an administrator of the subscription for the role.",
    status=403,
)
SECOND_FACTOR_REQUIRED = CatalogueEntry(
    code="SR-SECOND-FACTOR",
    message="This operation needs a session verified with a second factor.",
    cause="Critical operations are allowed only after a one-time code.",
    action="Sign in with a code from your authenticator app or a backup code.",
    status=403,
)
ITEM_NOT_PROTECTABLE = CatalogueEntry(
    code="SR-ITEM-STATE",
    message="Protection of this item is already stopped with its data deleted.",
    cause="The item is soft-deleted or purged.",
    action="Undelete it from the vault's Deleted items first, if it is still there.",
    status=409,
)
ITEM_NOT_DELETED = CatalogueEntry(
    code="SR-NOT-DELETED",
    message="This item is not soft-deleted, so there is nothing to undelete.",
    cause="Only items under Deleted items can be undeleted.",
    action="Refresh the Deleted items blade to see the current state.",
    status=409,
)
CONFIRMATION_MISMATCH = CatalogueEntry(
    code="SR-CONFIRM",
    message="The name typed to confirm does not match the item.",
    cause="Deleting backup data needs the item's name typed exactly.",
    action="Type the item's name as shown, then confirm again.",
)


class OperationRefused(Exception):
    """A rule refused a critical operation; carries the catalogue entry."""

    def __init__(self, entry, detail=""):
        super().__init__(f"{entry.code}: {entry.message}")
        self.entry = entry
        self.detail = detail


# The agent API and registration. Codes of the form SR-... are Strongroom's
# own; the reference's codes above keep their numbers.
VAULT_CREDENTIALS_INVALID = CatalogueEntry(
    code="SR-VAULT-CREDENTIALS",
    message="The vault credentials are not valid.",
    cause="The credentials file is unknown, older than 48 hours, or was "
    "already used to register a server.",
    action="Download new vault credentials in the portal (Recovery Services "
    "vault > Properties > Backup Credentials > Download) and register again.",
    status=403,
)
SERVER_CREDENTIAL_INVALID = CatalogueEntry(
    code="SR-SERVER-CREDENTIAL",
    message="The server's credential was not accepted.",
    cause="The request carried no credential, or one the vault does not know.",
    action="Register the server again with new vault credentials.",
    status=401,
)
SERVER_NAME_TAKEN = CatalogueEntry(
    code="SR-SERVER-NAME",
    message="A server with this name is already registered with the vault.",
    cause="Server names are unique within a vault.",
    action="Register under another name; the vault credentials stay valid.",
    status=409,
)
REQUEST_INVALID = CatalogueEntry(
    code="SR-REQUEST-INVALID",
    message="The request is not valid.",
    cause="A field is missing, unknown, of the wrong type or out of range, or "
    "the body is not JSON.",
    action="Correct the fields named in the detail and send the request again.",
    status=422,
)
REQUEST_TOO_LARGE = CatalogueEntry(
    code="SR-REQUEST-TOO-LARGE",
    message="The request body is too large.",
    cause="The body is longer than this operation accepts.",
    action="Send a smaller body; the agent splits data into chunks of 1 MiB.",
    status=413,
)
NOT_FOUND = CatalogueEntry(
    code="SR-NOT-FOUND",
    message="The requested object does not exist in this vault.",
    cause="The name or ID is unknown to the vault.",
    action="Check the name or ID against the portal's Backup items blade.",
    status=404,
)
METHOD_NOT_ALLOWED = CatalogueEntry(
    code="SR-METHOD",
    message="This API path does not take that HTTP method.",
    cause="The request used a method the path does not offer.",
    action="Use one of the methods the Allow header lists, as the API's "
    "OpenAPI document describes.",
    status=405,
)
POLICY_NOT_FOUND = CatalogueEntry(
    code="SR-POLICY-NOT-FOUND",
    message="The backup policy does not exist in this vault.",
    cause="No backup policy of the vault has this name.",
    action="Use a policy listed in the portal's Backup policies blade, or "
    "create one there.",
    status=404,
)
ITEM_NOT_PROTECTED = CatalogueEntry(
    code="SR-NOT-PROTECTED",
    message="This folder is not protected on this server.",
    cause="The folder was never protected, or its protection was stopped.",
    action="Protect the folder first: strongroom-agent protect PATH --policy NAME.",
    status=409,
)
CHUNKS_MISSING = CatalogueEntry(
    code="SR-CHUNKS-MISSING",
    message="The recovery point refers to chunks the vault does not hold.",
    cause="Some chunks were not uploaded before the recovery point was recorded.",
    action="Run the backup again; it uploads what is missing.",
    status=409,
)
KEY_ENVELOPE_ALREADY_SET = CatalogueEntry(
    code="SR-KEY-ENVELOPE-SET",
    message="The server's encryption key is already stored.",
    cause="Once stored, the wrapped key changes only through Change Passphrase, "
    "which needs a security PIN.",
    action="Use strongroom-agent change-passphrase with a security PIN.",
    status=409,
)
KEY_ENVELOPE_MISSING = CatalogueEntry(
    code="SR-NO-KEY-ENVELOPE",
    message="The server has no stored encryption key.",
    cause="Registration did not finish uploading the wrapped key.",
    action="Register the server again with new vault credentials.",
    status=409,
)
INTERNAL_ERROR = CatalogueEntry(
    code="SR-INTERNAL",
    message="The portal could not complete the operation.",
    cause="An unexpected error occurred; it has been logged.",
    action="Retry the operation later. If it fails again, contact the operator.",
    status=500,
)


def entry_for(code):
    """Return the catalogue entry with this code, or None."""
    for value in globals().values():
        if isinstance(value, CatalogueEntry) and value.code == code:
            return value
    return None
