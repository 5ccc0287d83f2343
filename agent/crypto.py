"""Passphrase rules, the wrapped data key, and chunk and manifest encryption."""

import base64
import binascii
import hashlib
import hmac
import json
import os
import re
import unicodedata
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from agent.errors import (
    DamagedEnvelope,
    TamperedChunk,
    TamperedManifest,
    WeakPassphrase,
    WrongPassphrase,
)

MIN_PASSPHRASE_LENGTH = 16
KEY_BYTES = 32
NONCE_BYTES = 12
SALT_BYTES = 16
ENVELOPE_FORMAT = "strongroom-key-envelope/1"
CHUNK_ID_PATTERN = re.compile(r"[0-9a-f]{64}")

_CHUNK_AAD = b"strongroom-chunk/1:"
_MANIFEST_AAD = b"strongroom-manifest/1"


@dataclass(frozen=True)
class ScryptCost:
    """Hold the scrypt work factors stored beside each wrapped key."""

    n: int = 2**17
    r: int = 8
    p: int = 1

    def check(self):
        """Refuse work factors that are too weak or would exhaust memory."""
        # The envelope comes back from the server, which must not be able to
        # make the agent allocate gigabytes by editing three numbers.
        sane = (
            isinstance(self.n, int)
            and isinstance(self.r, int)
            and isinstance(self.p, int)
            and 2**10 <= self.n <= 2**20
            and self.n & (self.n - 1) == 0
            and 1 <= self.r <= 32
            and 1 <= self.p <= 16
            and 128 * self.n * self.r * self.p <= 2**30
        )
        if not sane:
            raise DamagedEnvelope(cause="The scrypt work factors are out of range.")


DEFAULT_COST = ScryptCost()


def check_passphrase(passphrase):
    """Refuse a passphrase that is not a string of at least 16 characters."""
    if not isinstance(passphrase, str):
        raise WeakPassphrase("The passphrase must be text.")
    if len(_normalise(passphrase)) < MIN_PASSPHRASE_LENGTH:
        raise WeakPassphrase(
            f"The passphrase must have at least {MIN_PASSPHRASE_LENGTH} characters."
        )


def _normalise(passphrase):
    # The same passphrase typed on two systems may arrive composed or
    # decomposed; NFC makes both derive the same key.
    return unicodedata.normalize("NFC", passphrase)


def _derive_wrapping_key(passphrase, salt, cost):
    cost.check()
    kdf = Scrypt(salt=salt, length=KEY_BYTES, n=cost.n, r=cost.r, p=cost.p)
    return kdf.derive(_normalise(passphrase).encode("utf-8"))


def _b64(data):
    return base64.b64encode(data).decode("ascii")


def _unb64(text, expected_length=None):
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, TypeError, ValueError) as exc:
        raise DamagedEnvelope(cause="A field is not valid base64.") from exc
    if expected_length is not None and len(data) != expected_length:
        raise DamagedEnvelope(cause="A field has the wrong length.")
    return data


def _envelope_header(cost):
    return {
        "format": ENVELOPE_FORMAT,
        "kdf": "scrypt",
        "n": cost.n,
        "r": cost.r,
        "p": cost.p,
    }


def _header_aad(header):
    # Authenticating the header means an edited format or work factor fails
    # the tag; nothing in the envelope is trusted before the tag passes.
    return json.dumps(header, sort_keys=True, separators=(",", ":")).encode()


def _seal_data_key(data_key, passphrase, cost):
    check_passphrase(passphrase)
    salt = os.urandom(SALT_BYTES)
    nonce = os.urandom(NONCE_BYTES)
    header = _envelope_header(cost)
    wrapping_key = _derive_wrapping_key(passphrase, salt, cost)
    wrapped = AESGCM(wrapping_key).encrypt(nonce, data_key, _header_aad(header))
    return {
        **header,
        "salt": _b64(salt),
        "nonce": _b64(nonce),
        "wrapped_key": _b64(wrapped),
    }


def wrap_data_key(passphrase, *, cost=DEFAULT_COST):
    """Create a random data key and return it with its passphrase envelope."""
    data_key = os.urandom(KEY_BYTES)
    return data_key, _seal_data_key(data_key, passphrase, cost)


def unwrap_data_key(envelope, passphrase):
    """Return the data key inside an envelope, or raise WrongPassphrase."""
    if not isinstance(envelope, dict) or envelope.get("format") != ENVELOPE_FORMAT:
        raise DamagedEnvelope(cause="The envelope format is not recognised.")
    if envelope.get("kdf") != "scrypt":
        raise DamagedEnvelope(cause="The key derivation is not recognised.")
    if not isinstance(passphrase, str):
        raise WrongPassphrase()
    cost = ScryptCost(envelope.get("n"), envelope.get("r"), envelope.get("p"))
    cost.check()
    salt = _unb64(envelope.get("salt"), SALT_BYTES)
    nonce = _unb64(envelope.get("nonce"), NONCE_BYTES)
    wrapped = _unb64(envelope.get("wrapped_key"), KEY_BYTES + 16)
    wrapping_key = _derive_wrapping_key(passphrase, salt, cost)
    aad = _header_aad(_envelope_header(cost))
    try:
        return AESGCM(wrapping_key).decrypt(nonce, wrapped, aad)
    except InvalidTag:
        raise WrongPassphrase() from None


def rewrap(envelope, old_passphrase, new_passphrase, *, cost=DEFAULT_COST):
    """Return a new envelope holding the same data key under a new passphrase."""
    check_passphrase(new_passphrase)
    data_key = unwrap_data_key(envelope, old_passphrase)
    # A fresh salt and the current work factors: the old envelope's numbers
    # are not carried forward, so raising DEFAULT_COST upgrades old vaults.
    return _seal_data_key(data_key, new_passphrase, cost)


def _subkey(data_key, purpose):
    hkdf = HKDF(
        algorithm=hashes.SHA256(),
        length=KEY_BYTES,
        salt=None,
        info=b"strongroom/" + purpose,
    )
    return hkdf.derive(data_key)


class KeyRing:
    """Encrypt, decrypt and address chunks and manifests under one data key."""

    def __init__(self, data_key):
        if not isinstance(data_key, bytes) or len(data_key) != KEY_BYTES:
            raise ValueError("A data key is 32 bytes.")
        # Separate sub-keys keep the content address from ever being usable
        # as an encryption key, and the reverse.
        self._id_key = _subkey(data_key, b"chunk-id/1")
        self._aead = AESGCM(_subkey(data_key, b"encryption/1"))

    def __repr__(self):
        return "<KeyRing>"

    def chunk_id(self, plaintext):
        """Return the hex content address of a chunk's plaintext."""
        return hmac.new(self._id_key, plaintext, hashlib.sha256).hexdigest()

    def seal_chunk(self, plaintext):
        """Return (chunk id, nonce-prefixed AES-GCM ciphertext) for a chunk."""
        chunk_id = self.chunk_id(plaintext)
        return chunk_id, self.encrypt_chunk(chunk_id, plaintext)

    def encrypt_chunk(self, chunk_id, plaintext):
        """Encrypt a chunk whose ID the caller already took with chunk_id()."""
        # Backup hashes every chunk to ask the store what it lacks, then
        # encrypts only those; this spares hashing each new chunk twice.
        return self._seal(plaintext, _CHUNK_AAD + chunk_id.encode())

    def open_chunk(self, chunk_id, ciphertext):
        """Return a chunk's plaintext after checking its tag and its address."""
        if not isinstance(chunk_id, str) or not CHUNK_ID_PATTERN.fullmatch(chunk_id):
            raise TamperedChunk(cause="The chunk ID is malformed.")
        try:
            plaintext = self._open(ciphertext, _CHUNK_AAD + chunk_id.encode())
        except InvalidTag:
            raise TamperedChunk(cause=f"Chunk {chunk_id} fails its tag.") from None
        if not hmac.compare_digest(self.chunk_id(plaintext), chunk_id):
            raise TamperedChunk(cause=f"Chunk {chunk_id} has other content.")
        return plaintext

    def seal_manifest(self, manifest_bytes):
        """Return the manifest encrypted as a blob."""
        return self._seal(manifest_bytes, _MANIFEST_AAD)

    def open_manifest(self, ciphertext):
        """Return the manifest bytes after checking the tag."""
        try:
            return self._open(ciphertext, _MANIFEST_AAD)
        except InvalidTag:
            raise TamperedManifest() from None

    def _seal(self, plaintext, aad):
        nonce = os.urandom(NONCE_BYTES)
        return nonce + self._aead.encrypt(nonce, plaintext, aad)

    def _open(self, ciphertext, aad):
        if not isinstance(ciphertext, bytes | bytearray | memoryview):
            raise InvalidTag()
        ciphertext = bytes(ciphertext)
        if len(ciphertext) < NONCE_BYTES + 16:
            raise InvalidTag()
        nonce, body = ciphertext[:NONCE_BYTES], ciphertext[NONCE_BYTES:]
        return self._aead.decrypt(nonce, body, aad)
