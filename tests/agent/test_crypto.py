import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agent.crypto import (
    DEFAULT_COST,
    KeyRing,
    ScryptCost,
    check_passphrase,
    rewrap,
    unwrap_data_key,
    wrap_data_key,
)
from agent.errors import (
    AgentError,
    DamagedEnvelope,
    TamperedChunk,
    TamperedManifest,
    WeakPassphrase,
    WrongPassphrase,
)

# The lowest work factor the agent accepts keeps these tests fast; one test
# exercises DEFAULT_COST.
FAST_COST = ScryptCost(n=2**10, r=8, p=1)
PASSPHRASE = "correct horse battery staple"
OTHER = "a different passphrase entirely"


def test_passphrase_of_fifteen_characters_is_refused():
    with pytest.raises(WeakPassphrase) as caught:
        check_passphrase("x" * 15)
    assert "16 characters" in caught.value.message
    assert caught.value.code == "A101"


def test_passphrase_of_sixteen_characters_is_accepted():
    check_passphrase("x" * 16)


def test_passphrase_length_counts_characters_not_bytes():
    check_passphrase("é" * 16)
    with pytest.raises(WeakPassphrase):
        check_passphrase("é" * 8)  # 16 bytes in UTF-8, still only 8 characters


def test_passphrase_must_be_text():
    with pytest.raises(WeakPassphrase):
        check_passphrase(b"x" * 32)


def test_wrapping_refuses_a_short_passphrase():
    with pytest.raises(WeakPassphrase):
        wrap_data_key("too short", cost=FAST_COST)


def test_envelope_is_json_safe_and_holds_the_work_factors():
    data_key, envelope = wrap_data_key(PASSPHRASE, cost=FAST_COST)
    assert len(data_key) == 32
    restored = json.loads(json.dumps(envelope))
    assert restored == envelope
    assert restored["kdf"] == "scrypt"
    assert (restored["n"], restored["r"], restored["p"]) == (2**10, 8, 1)
    assert set(restored) == {
        "format",
        "kdf",
        "n",
        "r",
        "p",
        "salt",
        "nonce",
        "wrapped_key",
    }


def test_envelope_never_contains_the_key_or_passphrase():
    data_key, envelope = wrap_data_key(PASSPHRASE, cost=FAST_COST)
    text = json.dumps(envelope)
    assert PASSPHRASE not in text
    assert data_key.hex() not in text
    assert data_key not in text.encode()


def test_unwrap_returns_the_same_data_key():
    data_key, envelope = wrap_data_key(PASSPHRASE, cost=FAST_COST)
    assert unwrap_data_key(envelope, PASSPHRASE) == data_key


def test_default_work_factors_round_trip():
    data_key, envelope = wrap_data_key(PASSPHRASE)
    assert envelope["n"] == DEFAULT_COST.n
    assert unwrap_data_key(envelope, PASSPHRASE) == data_key


def test_each_wrap_uses_a_new_key_and_salt():
    key_a, env_a = wrap_data_key(PASSPHRASE, cost=FAST_COST)
    key_b, env_b = wrap_data_key(PASSPHRASE, cost=FAST_COST)
    assert key_a != key_b
    assert env_a["salt"] != env_b["salt"]


def test_unwrap_refuses_a_wrong_passphrase():
    _, envelope = wrap_data_key(PASSPHRASE, cost=FAST_COST)
    with pytest.raises(WrongPassphrase) as caught:
        unwrap_data_key(envelope, OTHER)
    assert OTHER not in str(caught.value)
    assert isinstance(caught.value, AgentError)


def test_unwrap_treats_composed_and_decomposed_passphrases_alike():
    composed = "caf\u00e9 au lait, s'il vous pla\u00eet"
    decomposed = "cafe\u0301 au lait, s'il vous plai\u0302t"
    data_key, envelope = wrap_data_key(composed, cost=FAST_COST)
    assert unwrap_data_key(envelope, decomposed) == data_key


def test_unwrap_refuses_an_envelope_whose_work_factor_was_changed():
    _, envelope = wrap_data_key(PASSPHRASE, cost=FAST_COST)
    envelope["n"] = 2**11
    with pytest.raises(WrongPassphrase):
        unwrap_data_key(envelope, PASSPHRASE)


def test_unwrap_refuses_work_factors_that_would_exhaust_memory():
    _, envelope = wrap_data_key(PASSPHRASE, cost=FAST_COST)
    envelope["n"] = 2**30
    with pytest.raises(DamagedEnvelope):
        unwrap_data_key(envelope, PASSPHRASE)


def test_unwrap_refuses_a_truncated_or_garbled_envelope():
    _, envelope = wrap_data_key(PASSPHRASE, cost=FAST_COST)
    with pytest.raises(DamagedEnvelope):
        unwrap_data_key({**envelope, "salt": "not base64!"}, PASSPHRASE)
    with pytest.raises(DamagedEnvelope):
        unwrap_data_key({**envelope, "wrapped_key": "AAAA"}, PASSPHRASE)
    with pytest.raises(DamagedEnvelope):
        unwrap_data_key({**envelope, "format": "other/9"}, PASSPHRASE)


def test_work_factors_must_be_a_power_of_two():
    with pytest.raises(DamagedEnvelope):
        ScryptCost(n=3000).check()


def test_rewrap_keeps_the_data_key_with_a_new_salt():
    data_key, envelope = wrap_data_key(PASSPHRASE, cost=FAST_COST)
    changed = rewrap(envelope, PASSPHRASE, OTHER, cost=FAST_COST)
    assert changed["salt"] != envelope["salt"]
    assert unwrap_data_key(changed, OTHER) == data_key
    with pytest.raises(WrongPassphrase):
        unwrap_data_key(changed, PASSPHRASE)


def test_rewrap_refuses_a_wrong_old_passphrase():
    _, envelope = wrap_data_key(PASSPHRASE, cost=FAST_COST)
    with pytest.raises(WrongPassphrase):
        rewrap(envelope, "not the old passphrase!", OTHER, cost=FAST_COST)


def test_rewrap_refuses_a_short_new_passphrase():
    _, envelope = wrap_data_key(PASSPHRASE, cost=FAST_COST)
    with pytest.raises(WeakPassphrase):
        rewrap(envelope, PASSPHRASE, "short", cost=FAST_COST)


def test_rewrap_can_raise_the_work_factors():
    data_key, envelope = wrap_data_key(PASSPHRASE, cost=FAST_COST)
    stronger = ScryptCost(n=2**12, r=8, p=1)
    changed = rewrap(envelope, PASSPHRASE, OTHER, cost=stronger)
    assert changed["n"] == 2**12
    assert unwrap_data_key(changed, OTHER) == data_key


def test_identical_plaintext_gets_the_same_id_under_one_key(data_key):
    ring = KeyRing(data_key)
    id_a, ct_a = ring.seal_chunk(b"same bytes")
    id_b, ct_b = ring.seal_chunk(b"same bytes")
    assert id_a == id_b
    assert ct_a != ct_b  # fresh nonce each time
    assert len(id_a) == 64


def test_chunk_id_differs_between_vault_keys(data_key):
    other = KeyRing(bytes(32))
    assert KeyRing(data_key).chunk_id(b"x") != other.chunk_id(b"x")


def test_chunk_id_is_not_a_plain_hash(data_key):
    import hashlib

    plain = hashlib.sha256(b"guessable").hexdigest()
    assert KeyRing(data_key).chunk_id(b"guessable") != plain


def test_chunk_ciphertext_is_nonce_then_ciphertext_and_tag(data_key):
    _, ciphertext = KeyRing(data_key).seal_chunk(b"abc")
    assert len(ciphertext) == 12 + 3 + 16


def test_open_refuses_a_tampered_chunk(data_key):
    ring = KeyRing(data_key)
    chunk_id, ciphertext = ring.seal_chunk(b"payload" * 100)
    flipped = bytearray(ciphertext)
    flipped[40] ^= 0x01
    with pytest.raises(TamperedChunk):
        ring.open_chunk(chunk_id, bytes(flipped))


def test_open_refuses_a_chunk_served_under_another_id(data_key):
    ring = KeyRing(data_key)
    id_a, _ = ring.seal_chunk(b"first")
    _, ct_b = ring.seal_chunk(b"second")
    with pytest.raises(TamperedChunk):
        ring.open_chunk(id_a, ct_b)


def test_open_refuses_a_chunk_encrypted_under_another_key(data_key):
    chunk_id, ciphertext = KeyRing(bytes(32)).seal_chunk(b"data")
    with pytest.raises(TamperedChunk):
        KeyRing(data_key).open_chunk(chunk_id, ciphertext)


def test_open_refuses_a_malformed_id_or_short_ciphertext(data_key):
    ring = KeyRing(data_key)
    chunk_id, _ = ring.seal_chunk(b"data")
    with pytest.raises(TamperedChunk):
        ring.open_chunk("../../etc/passwd", b"x" * 40)
    with pytest.raises(TamperedChunk):
        ring.open_chunk(chunk_id, b"short")


def test_manifest_blob_round_trips_and_refuses_tampering(data_key):
    ring = KeyRing(data_key)
    blob = ring.seal_manifest(b'{"entries": []}')
    assert ring.open_manifest(blob) == b'{"entries": []}'
    with pytest.raises(TamperedManifest):
        ring.open_manifest(blob[:-1] + bytes([blob[-1] ^ 1]))


def test_a_chunk_cannot_be_passed_off_as_a_manifest(data_key):
    ring = KeyRing(data_key)
    _, ciphertext = ring.seal_chunk(b'{"entries": []}')
    with pytest.raises(TamperedManifest):
        ring.open_manifest(ciphertext)


def test_keyring_does_not_show_its_key(data_key):
    assert data_key.hex() not in repr(KeyRing(data_key))


@settings(max_examples=50, deadline=None)
@given(st.binary(max_size=4096))
def test_any_chunk_round_trips(plaintext):
    ring = KeyRing(b"k" * 32)
    chunk_id, ciphertext = ring.seal_chunk(plaintext)
    assert ring.open_chunk(chunk_id, ciphertext) == plaintext
