"""The strongroom-agent command line: register, protect, back up and restore.

Environment:
  STRONGROOM_AGENT_STATE_DIR  default for --state-dir (else ~/.strongroom-agent)
  STRONGROOM_AGENT_SCRYPT_N   scrypt cost for new key envelopes, a power of two
                              from 1024 to 1048576 (default 131072); tests
                              lower it, nobody else should
"""

import argparse
import base64
import binascii
import getpass
import json
import os
import sys
from pathlib import Path

from agent import crypto
from agent.backup import back_up
from agent.errors import (
    AgentError,
    AlreadyRegistered,
    BadCredentialsFile,
    BadInput,
    DamagedEnvelope,
    NotRegistered,
    SourceUnreadable,
    WeakPassphrase,
)
from agent.http_store import HttpStore, PortalClient
from agent.progress import Progress, format_bytes
from agent.restore import restore

AGENT_VERSION = "2.0.9200"
STATE_FILE = "agent.json"
KEY_FILE = "data.key"
CREDENTIALS_FORMAT = "strongroom-vault-credentials/1"
KINDS = ("agent", "backup-server", "dpm")


def default_state_dir():
    configured = os.environ.get("STRONGROOM_AGENT_STATE_DIR")
    return Path(configured) if configured else Path.home() / ".strongroom-agent"


def scrypt_cost():
    raw = os.environ.get("STRONGROOM_AGENT_SCRYPT_N")
    if not raw:
        return crypto.DEFAULT_COST
    try:
        cost = crypto.ScryptCost(n=int(raw))
        cost.check()
    except (ValueError, DamagedEnvelope):
        raise BadInput(
            "STRONGROOM_AGENT_SCRYPT_N must be a power of two from 1024 to 1048576."
        ) from None
    return cost


# State kept on the protected machine


class AgentState:
    """Read and write the registration and data key under the state folder."""

    def __init__(self, folder):
        self.folder = Path(folder).expanduser()

    @property
    def state_path(self):
        return self.folder / STATE_FILE

    @property
    def key_path(self):
        return self.folder / KEY_FILE

    def exists(self):
        return self.state_path.exists()

    def load(self):
        try:
            return json.loads(self.state_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise NotRegistered(cause=f"No {self.state_path}.") from None
        except (OSError, ValueError) as exc:
            raise NotRegistered(
                cause=f"{self.state_path} is unreadable: {exc}"
            ) from None

    def save(self, state):
        self._write(self.state_path, json.dumps(state, indent=2).encode("utf-8"))

    def data_key(self):
        try:
            key = base64.b64decode(self.key_path.read_bytes(), validate=True)
        except FileNotFoundError:
            raise NotRegistered(cause=f"No {self.key_path}.") from None
        except (OSError, binascii.Error) as exc:
            raise NotRegistered(cause=f"{self.key_path} is unreadable: {exc}") from None
        if len(key) != crypto.KEY_BYTES:
            raise NotRegistered(cause=f"{self.key_path} does not hold a key.")
        return key

    def save_data_key(self, key):
        self._write(self.key_path, base64.b64encode(key))

    def _write(self, path, data):
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        temporary = path.with_name(path.name + ".new")
        # Created owner-only from the first byte: the credential and the key
        # must never be readable by other users, even for a moment.
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as out:
            out.write(data)
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)


def client_for(state):
    return PortalClient(
        state["portal_url"],
        state["credential"],
        user_agent=f"strongroom-agent/{state.get('agent_version', AGENT_VERSION)}",
    )


# Passphrases and PINs


def read_secret_file(path, what):
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInput(f"The {what} file could not be read.", cause=str(exc)) from None
    return text.rstrip("\r\n")


def ask_secret(prompt, option):
    try:
        return getpass.getpass(prompt)
    except EOFError:
        # No terminal and nothing on standard input, as under cron: a
        # traceback would hide which option was missing.
        raise BadInput(
            "There is no terminal to ask for a secret.",
            action=f"Pass {option}, or run the command in a terminal.",
        ) from None


def ask_new_passphrase(
    path, prompt="Encryption passphrase", option="--passphrase-file F"
):
    if path:
        passphrase = read_secret_file(path, "passphrase")
    else:
        passphrase = ask_secret(f"{prompt} (at least 16 characters): ", option)
        again = ask_secret(f"{prompt} again: ", option)
        if passphrase != again:
            raise WeakPassphrase("The two passphrases differ.")
    crypto.check_passphrase(passphrase)
    return passphrase


def ask_passphrase(path, prompt="Encryption passphrase"):
    if path:
        return read_secret_file(path, "passphrase")
    return ask_secret(f"{prompt}: ", "--passphrase-file F")


# Commands


def cmd_register(args, out):
    state_dir = AgentState(args.state_dir)
    if state_dir.exists():
        raise AlreadyRegistered(cause=f"{state_dir.state_path} exists.")
    credentials = read_vault_credentials(args.vault_credentials)
    portal_url = args.portal_url or credentials["portal_url"]
    passphrase = ask_new_passphrase(args.passphrase_file)
    # The key is made before the credentials are spent, so a failure here
    # leaves the one-use file still usable.
    data_key, envelope = crypto.wrap_data_key(passphrase, cost=scrypt_cost())
    answer = PortalClient(portal_url).call(
        "POST",
        "/register",
        {
            "token": credentials["token"],
            "name": args.name,
            "kind": args.kind,
            "agent_version": args.agent_version,
            "product_version": args.product_version,
        },
    )
    state = {
        "portal_url": portal_url,
        "vault_id": answer["vault_id"],
        "vault_name": answer["vault_name"],
        "server_name": answer["name"],
        "kind": args.kind,
        "agent_version": args.agent_version,
        "product_version": args.product_version,
        "credential": answer["credential"],
        "pending_envelope": envelope,
    }
    state_dir.save_data_key(data_key)
    state_dir.save(state)
    upload_pending_envelope(state_dir, state)
    out.write(
        f"Registered {answer['name']} with vault {answer['vault_name']}.\n"
        f"State kept in {state_dir.folder}. Keep the passphrase safe: "
        "restoring needs it.\n"
    )


def read_vault_credentials(path):
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise BadCredentialsFile(cause=str(exc)) from None
    fields_ok = (
        isinstance(document, dict)
        and document.get("format") == CREDENTIALS_FORMAT
        and isinstance(document.get("token"), str)
        and isinstance(document.get("portal_url"), str)
    )
    if not fields_ok:
        raise BadCredentialsFile(cause="It is not a Strongroom vault credentials file.")
    return document


def upload_pending_envelope(state_dir, state):
    """Send the wrapped key if registration stopped before it reached the portal."""
    envelope = state.get("pending_envelope")
    if not envelope:
        return
    client_for(state).call("PUT", "/key-envelope", envelope)
    del state["pending_envelope"]
    state_dir.save(state)


def registered(args):
    state_dir = AgentState(args.state_dir)
    state = state_dir.load()
    upload_pending_envelope(state_dir, state)
    return state_dir, state


def source_path(path):
    folder = os.path.abspath(os.fspath(path))
    if not os.path.isdir(folder):
        raise SourceUnreadable(cause=f"{folder} is not a folder.")
    return folder


def cmd_protect(args, out):
    _, state = registered(args)
    folder = source_path(args.path)
    item = client_for(state).call(
        "POST", "/items", {"source": folder, "policy": args.policy}
    )
    out.write(f"Protected {item['source']} with policy {item['policy']}.\n")


def protected_sources(client):
    status = client.call("GET", "/status")
    return [item["source"] for item in status["items"] if item["state"] == "protected"]


def cmd_backup(args, out):
    state_dir, state = registered(args)
    client = client_for(state)
    data_key = state_dir.data_key()
    sources = [source_path(args.path)] if args.path else protected_sources(client)
    if not sources:
        raise BadInput(
            "Nothing is protected on this server yet.",
            action="Protect a folder first: "
            "strongroom-agent protect PATH --policy NAME",
        )
    for folder in sources:
        progress = Progress(f"Backing up {folder}")
        result = back_up(folder, HttpStore(client), data_key, progress)
        progress.finish()
        stats = result.stats
        out.write(
            f"Backed up {folder}: {stats.files} files, {format_bytes(stats.bytes)} "
            f"({format_bytes(stats.new_bytes)} new). "
            f"Recovery point {result.point_id}.\n"
        )
        if stats.skipped:
            out.write(
                f"  {stats.skipped} entries skipped: pipes, sockets and devices "
                "are not backed up.\n"
            )


def cmd_points(args, out):
    _, state = registered(args)
    client = client_for(state)
    sources = [os.path.abspath(args.path)] if args.path else protected_sources(client)
    for folder in sources:
        points = client.call("GET", "/points", query={"source": folder})
        out.write(f"{folder}\n")
        if not points:
            out.write("  no recovery points yet\n")
        for point in points:
            out.write(
                f"  {point['id']:>8}  {point['taken_at']}  "
                f"{point['file_count']} files  {format_bytes(point['size'])}\n"
            )


def cmd_restore(args, out):
    _, state = registered(args)
    client = client_for(state)
    # Another server's folder need not exist here: the path names its data.
    folder = args.path if args.from_server else os.path.abspath(args.path)
    owner = args.from_server or state["server_name"]
    point_id = args.point or latest_point_id(client, folder, args.from_server)
    if args.point:
        point = client.call("GET", f"/points/{int(args.point)}")
        if point["source"] != folder or point["server"] != owner:
            raise BadInput(
                f"Recovery point {args.point} belongs to {point['source']} on "
                f"{point['server']}.",
                action="Give the folder and server that recovery point was "
                "taken of (--from-server NAME for another server).",
            )
    passphrase = ask_passphrase(args.passphrase_file)
    query = {"server": args.from_server} if args.from_server else None
    envelope = client.call("GET", "/key-envelope", query=query)
    data_key = crypto.unwrap_data_key(envelope, passphrase)
    progress = Progress(f"Restoring {folder}")
    stats = restore(str(point_id), HttpStore(client), data_key, args.to, progress)
    progress.finish()
    out.write(
        f"Restored recovery point {point_id} of {folder} to "
        f"{os.path.abspath(args.to)}: {stats.files} files, "
        f"{format_bytes(stats.bytes)}.\n"
    )


def latest_point_id(client, folder, from_server=None):
    query = {"source": folder, "limit": 1}
    if from_server:
        query["from_server"] = from_server
    points = client.call("GET", "/points", query=query)
    if not points:
        raise BadInput(
            f"{folder} has no recovery points.",
            action="Back it up first: strongroom-agent backup PATH",
        )
    return points[0]["id"]


def cmd_stop_protection(args, out):
    _, state = registered(args)
    client = client_for(state)
    folder = os.path.abspath(args.path)
    pin = args.pin
    if args.delete_data and pin is None and needs_pin_to_delete(client):
        pin = ask_secret("Security PIN: ", "--pin P")
    item = client.call(
        "POST",
        "/items/stop-protection",
        {"source": folder, "delete_data": args.delete_data, "pin": pin},
    )
    if item["state"] == "soft-deleted":
        out.write(
            f"Stopped protecting {folder} and deleted its backup data. It is kept "
            f"until {item['purge_after']} (UTC) and can be undeleted in the "
            "portal under Deleted items.\n"
        )
    elif item["state"] == "purged":
        out.write(f"Stopped protecting {folder}; its backup data is deleted.\n")
    else:
        out.write(f"Stopped protecting {folder}; its recovery points are kept.\n")


def needs_pin_to_delete(client):
    # Backup Server and DPM delete without a PIN, as the reference notes.
    status = client.call("GET", "/status")
    return status["security_settings_enabled"] and status["kind"] == "agent"


def cmd_status(args, out):
    _, state = registered(args)
    status = client_for(state).call("GET", "/status")
    security = "on" if status["security_settings_enabled"] else "off"
    supported = "yes" if status["meets_minimum"] else f"no (needs {status['minimum']})"
    out.write(
        f"Server:            {status['name']} ({status['kind']})\n"
        f"Vault:             {status['vault_name']}\n"
        f"Portal:            {state['portal_url']}\n"
        f"Agent version:     {status['agent_version']}\n"
        f"Product version:   {status['product_version'] or '-'}\n"
        f"Security settings: {security}\n"
        f"Meets minimum:     {supported}\n"
        f"Protected items:   {len(status['items'])}\n"
    )
    for item in status["items"]:
        latest = item["latest_point"]
        when = latest["taken_at"] if latest else "no recovery point yet"
        out.write(f"  {item['source']}  [{item['state']}, {item['policy']}]  {when}\n")


def cmd_change_passphrase(args, out):
    _, state = registered(args)
    client = client_for(state)
    current = ask_passphrase(args.passphrase_file, "Current passphrase")
    new = ask_new_passphrase(
        args.new_passphrase_file, "New passphrase", "--new-passphrase-file F"
    )
    envelope = client.call("GET", "/key-envelope")
    # Re-wrapping first proves the current passphrase before a PIN is spent.
    new_envelope = crypto.rewrap(envelope, current, new, cost=scrypt_cost())
    pin = args.pin if args.pin is not None else ask_secret("Security PIN: ", "--pin P")
    client.call(
        "POST", "/change-passphrase", {"pin": pin, "key_envelope": new_envelope}
    )
    out.write(
        "Passphrase changed. Every recovery point now opens with the new "
        "passphrase only.\n"
    )


def cmd_policy_show(args, out):
    _, state = registered(args)
    policy = client_for(state).call("GET", f"/policies/{quote(args.name)}")
    write_policy(policy, out)


def cmd_policy_set(args, out):
    _, state = registered(args)
    client = client_for(state)
    path = f"/policies/{quote(args.name)}"
    current = client.call("GET", path)
    wanted = {
        field: getattr(args, field)
        if getattr(args, field) is not None
        else current[field]
        for field in ("daily_days", "weekly_weeks", "monthly_months", "yearly_years")
    }
    policy = client.call("PUT", path, wanted)
    out.write("Policy updated.\n")
    write_policy(policy, out)


def quote(name):
    from urllib.parse import quote as url_quote

    return url_quote(name, safe="")


def count_of(number, unit):
    return f"{number} {unit}" if number == 1 else f"{number} {unit}s"


def write_policy(policy, out):
    out.write(
        f"Policy {policy['name']} (backup at {policy['schedule_time']} UTC)\n"
        f"  daily:   {count_of(policy['daily_days'], 'day')}\n"
        f"  weekly:  {count_of(policy['weekly_weeks'], 'week')}\n"
        f"  monthly: {count_of(policy['monthly_months'], 'month')}\n"
        f"  yearly:  {count_of(policy['yearly_years'], 'year')}\n"
    )


# Argument parsing


def non_negative(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return value


def build_parser():
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--state-dir",
        default=default_state_dir(),
        help="folder holding this agent's registration (default: %(default)s)",
    )
    parser = argparse.ArgumentParser(
        prog="strongroom-agent",
        description="Back up folders into a Strongroom vault, encrypted on "
        "this machine, and restore them.",
    )
    parser.add_argument("--version", action="version", version=AGENT_VERSION)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    register = commands.add_parser(
        "register",
        parents=[common],
        help="register this machine with a vault",
        description="Register this machine with the vault named in a vault "
        "credentials file (Properties > Backup Credentials > Download).",
    )
    register.add_argument("--vault-credentials", required=True, metavar="FILE")
    register.add_argument("--name", required=True, help="this server's name")
    register.add_argument("--kind", choices=KINDS, default="agent")
    register.add_argument("--agent-version", default=AGENT_VERSION, metavar="V")
    register.add_argument("--product-version", default="", metavar="P")
    register.add_argument(
        "--passphrase-file",
        metavar="F",
        help="read the new encryption passphrase from F instead of asking",
    )
    register.add_argument(
        "--portal-url", help="override the portal address in the credentials file"
    )
    register.set_defaults(handler=cmd_register)

    protect = commands.add_parser(
        "protect", parents=[common], help="protect a folder under a backup policy"
    )
    protect.add_argument("path")
    protect.add_argument("--policy", required=True, metavar="NAME")
    protect.set_defaults(handler=cmd_protect)

    backup = commands.add_parser(
        "backup",
        parents=[common],
        help="back up one protected folder, or all of them",
    )
    backup.add_argument("path", nargs="?")
    backup.set_defaults(handler=cmd_backup)

    points = commands.add_parser(
        "points", parents=[common], help="list recovery points"
    )
    points.add_argument("path", nargs="?")
    points.set_defaults(handler=cmd_points)

    restore_parser = commands.add_parser(
        "restore",
        parents=[common],
        help="restore a folder's recovery point into an empty folder",
    )
    restore_parser.add_argument("path", help="the protected folder")
    restore_parser.add_argument(
        "--point", type=int, metavar="ID", help="recovery point (default: latest)"
    )
    restore_parser.add_argument("--to", required=True, metavar="DIR")
    restore_parser.add_argument("--passphrase-file", metavar="F")
    restore_parser.add_argument(
        "--from-server",
        metavar="NAME",
        help="restore another server's data (recovery to an alternate machine); "
        "needs that server's passphrase",
    )
    restore_parser.set_defaults(handler=cmd_restore)

    stop = commands.add_parser(
        "stop-protection",
        parents=[common],
        help="stop backing up a folder, keeping or deleting its data",
        description="Stop protecting a folder. With --delete-data its backup "
        "data is deleted; with security settings on it is kept 14 days and "
        "this needs a security PIN from the portal (Properties > Security PIN).",
    )
    stop.add_argument("path", help="the protected folder")
    stop.add_argument("--delete-data", action="store_true")
    stop.add_argument("--pin", metavar="P", help="the security PIN")
    stop.set_defaults(handler=cmd_stop_protection)

    status = commands.add_parser(
        "status", parents=[common], help="show this server's registration"
    )
    status.set_defaults(handler=cmd_status)

    change = commands.add_parser(
        "change-passphrase",
        parents=[common],
        help="change the encryption passphrase (needs a security PIN)",
        description="Re-wrap the data key under a new passphrase. Needs a "
        "security PIN from the portal (Properties > Security PIN > Generate).",
    )
    change.add_argument("--pin", metavar="P", help="the security PIN")
    change.add_argument("--passphrase-file", metavar="F", help="current passphrase")
    change.add_argument("--new-passphrase-file", metavar="F", help="new passphrase")
    change.set_defaults(handler=cmd_change_passphrase)

    policy = commands.add_parser("policy", help="show or change a backup policy")
    policy_commands = policy.add_subparsers(
        dest="policy_command", required=True, metavar="ACTION"
    )
    show = policy_commands.add_parser(
        "show", parents=[common], help="show a policy's retention"
    )
    show.add_argument("name")
    show.set_defaults(handler=cmd_policy_show)
    set_parser = policy_commands.add_parser(
        "set",
        parents=[common],
        help="change a policy's retention",
        description="Change retention; options left out keep their value. "
        "With security settings on, the minimum is 7 days, 4 weeks, "
        "3 months and 1 year.",
    )
    set_parser.add_argument("name")
    set_parser.add_argument("--daily-days", type=non_negative, metavar="N")
    set_parser.add_argument("--weekly-weeks", type=non_negative, metavar="N")
    set_parser.add_argument("--monthly-months", type=non_negative, metavar="N")
    set_parser.add_argument("--yearly-years", type=non_negative, metavar="N")
    set_parser.set_defaults(handler=cmd_policy_set)
    return parser


def report(error, stream):
    stream.write(f"Error {error.code}: {error.message}\n{error.action}\n")
    if error.cause:
        stream.write(f"({error.cause})\n")


def main(argv=None, out=None, err=None):
    out = out or sys.stdout
    err = err or sys.stderr
    args = build_parser().parse_args(argv)
    try:
        args.handler(args, out)
    except AgentError as error:
        report(error, err)
        return 1
    except KeyboardInterrupt:
        err.write("Interrupted.\n")
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
