"""Errors the agent raises, each carrying a catalogue code and an action."""


class AgentError(Exception):
    """Report a failure with a catalogue code and what the user can do."""

    code = "A000"
    message = "The agent could not complete the operation."
    action = "Retry the operation."

    def __init__(self, message=None, *, code=None, action=None, cause=""):
        self.message = message or self.message
        self.code = code or self.code
        self.action = action or self.action
        self.cause = cause
        super().__init__(self.message)

    def __str__(self):
        return f"{self.message} (ID: {self.code})"


# Codes of the form Annn belong to the agent itself; codes issued by the
# portal (such as 100130, 120002 and 0x29834) are passed through unchanged
# by building an AgentError with the code the portal returned.


class WeakPassphrase(AgentError):
    code = "A101"
    message = "The passphrase is too short."
    action = "Choose a passphrase of at least 16 characters."


class WrongPassphrase(AgentError):
    code = "A102"
    message = "The passphrase does not unlock this vault's key."
    action = "Enter the passphrase that was set when the key was created."


class DamagedEnvelope(AgentError):
    code = "A103"
    message = "The stored key envelope is unreadable."
    action = "Download the key envelope again from the portal."


class TamperedChunk(AgentError):
    code = "A201"
    message = "A backup chunk failed verification."
    action = "Restore from another recovery point and report the vault."


class TamperedManifest(AgentError):
    code = "A202"
    message = "The recovery point's manifest failed verification."
    action = "Restore from another recovery point and report the vault."


class ChunkMissing(AgentError):
    code = "A203"
    message = "A backup chunk is missing from the vault."
    action = "Restore from another recovery point."


class PointNotFound(AgentError):
    code = "A204"
    message = "The recovery point does not exist."
    action = "Check the recovery point ID in the portal."


class UnsafePath(AgentError):
    code = "A301"
    message = "A path in the recovery point would land outside the target."
    action = "Restore from another recovery point and report the vault."


class TargetNotEmpty(AgentError):
    code = "A302"
    message = "The restore target folder is not empty."
    action = "Restore into a new or empty folder."


class TargetUnwritable(AgentError):
    code = "A304"
    message = "The restore target could not be written."
    action = "Restore into a folder the agent may create and write, with room to spare."


class SourceUnreadable(AgentError):
    code = "A303"
    message = "The folder to back up could not be read."
    action = "Check that the folder exists and the agent may read it."


class PortalUnreachable(AgentError):
    code = "A401"
    message = "The portal could not be reached."
    action = "Check the portal address and the network, then retry."


class PortalAnswerUnexpected(AgentError):
    code = "A402"
    message = "The portal gave an answer the agent does not understand."
    action = "Check that the portal address is a Strongroom portal, then retry."


class NotRegistered(AgentError):
    code = "A403"
    message = "This agent is not registered with a vault."
    action = (
        "Download vault credentials in the portal (Properties > Backup "
        "Credentials) and run: strongroom-agent register --vault-credentials "
        "FILE --name NAME"
    )


class AlreadyRegistered(AgentError):
    code = "A404"
    message = "This state folder already holds a registration."
    action = "Use another --state-dir for a second registration."


class BadCredentialsFile(AgentError):
    code = "A405"
    message = "The vault credentials file is not readable."
    action = (
        "Download a new vault credentials file in the portal (Properties > "
        "Backup Credentials > Download) and pass it unchanged."
    )


class BadInput(AgentError):
    code = "A406"
    message = "The command's input is not valid."
    action = "Check the command's options with --help."
