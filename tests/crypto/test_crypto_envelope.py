"""The byte formats: known answers with an injected RNG, round trips, tampering, wrapped-key binding; format v1 is
retired (RetiredFormat on every read path; crypto.legacy reads it, see test_crypto_legacy)."""

from __future__ import annotations

import datetime as dt
import os
import uuid

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from hypothesis import given, settings
from hypothesis import strategies as st

from crypto import envelope as e
from crypto import legacy
from crypto.errors import DecryptionError, RetiredFormat

DEK = bytes(range(32))
DEK_ID = bytes([0x11]) * 16
NONCE = bytes([0x22]) * 12
UID = uuid.UUID("00000000-0000-4000-8000-000000000001")
PREFIX = e.aad_prefix("persons", "full_name_ct", "str")
AEAD = AESGCM(DEK)


def fixed(byte: int):  # type: ignore[no-untyped-def]
    return lambda n: bytes([byte]) * n


def prefix_of(kind: str) -> bytes:
    return e.aad_prefix("persons", "full_name_ct", kind)


def enc(value: object, kind: str = "str", uid: uuid.UUID = UID, prefix: bytes | None = None) -> bytes:
    return e.encrypt_field(AEAD, DEK_ID, prefix or prefix_of(kind), uid.bytes, e.encode_plain(kind, value),
                           os.urandom)


def dec(blob: bytes, kind: str = "str", uid: uuid.UUID = UID, prefix: bytes | None = None) -> object:
    assert e.parse_header(blob) == DEK_ID
    return e.decode_plain(kind, e.decrypt_field(AEAD, prefix or prefix_of(kind), uid.bytes, blob))


def enc_v1(value: object, kind: str = "str", uid: uuid.UUID = UID) -> bytes:
    return legacy.encrypt_field_v1(AEAD, DEK_ID, "persons", "full_name_ct", uid.bytes,
                                   legacy.encode_tagged(kind, value))


# --- known answers -----------------------------------------------------------------------------------------------

KAT_FIELD = ("0201" + "11" * 16 + "22" * 12 + "3c6dfb590b140e655f1e9c0679bf988c26d5b98694")
KAT_PREFIX = ("04000000" "1e00000000000000" + b"dayanisma/field/v2/aes-256-gcm".hex() + "0700000000000000"
              + b"persons".hex() + "0c00000000000000" + b"full_name_ct".hex() + "0300000000000000" + b"str".hex())
KAT_WRAPPED = ("44" * 12 + "3090c691ce03896ca88bae99fa90c47e0a9d039974caa95cfd57c868"
               "02fc1c98505aed4240dba350c34250273d53ee55")


def test_field_known_answer() -> None:
    blob = e.encrypt_field(AEAD, DEK_ID, PREFIX, UID.bytes, e.encode_plain("str", "Ayşe"), fixed(0x22))
    assert blob.hex() == KAT_FIELD
    assert PREFIX.hex() == KAT_PREFIX
    # Independent check of the documented v2 layout: AAD = pack(domain, table, column, kind) || row uid, plaintext
    # = the UTF-8 bytes (no type tag).
    raw = bytes.fromhex(KAT_FIELD)
    assert AESGCM(DEK).decrypt(NONCE, raw[30:], bytes.fromhex(KAT_PREFIX) + UID.bytes) == "Ayşe".encode()
    assert e.decrypt_field(AEAD, PREFIX, UID.bytes, raw) == "Ayşe".encode()


def test_v1_is_retired_on_every_read_path() -> None:
    """A v1 value (still valid under its key) is refused before any key is used: RetiredFormat, not its value."""
    blob = enc_v1("Zeynep")
    with pytest.raises(RetiredFormat):
        e.parse_header(blob)
    with pytest.raises(DecryptionError, match="format version 1"):
        e.decrypt_field(AEAD, PREFIX, UID.bytes, blob)
    assert not issubclass(RetiredFormat, DecryptionError)   # an operator's task, not tampering


def test_version_relabelling_fails() -> None:
    """A v2 value relabelled v1 is refused as retired, and would not open as v1 either (different associated
    data); a v1 value relabelled v2 fails authentication."""
    relabelled = bytes((e.FORMAT_V1,)) + enc("Ayşe")[1:]
    with pytest.raises(RetiredFormat):
        e.parse_header(relabelled)
    with pytest.raises(DecryptionError):
        legacy.decrypt_field_v1(AEAD, "persons", "full_name_ct", "str", UID.bytes, relabelled)
    relabelled = bytes((e.FORMAT_V2,)) + enc_v1("Ayşe")[1:]
    assert e.parse_header(relabelled) == DEK_ID
    with pytest.raises(DecryptionError):
        e.decrypt_field(AEAD, PREFIX, UID.bytes, relabelled)


def test_unknown_kind_has_no_prefix() -> None:
    with pytest.raises(ValueError, match="unknown value kind"):
        e.aad_prefix("persons", "full_name_ct", "bytes")


def test_wrapped_key_known_answer() -> None:
    kek = AESGCM(bytes([0x33]) * 32)
    wrapped = e.wrap_dek(kek, 1, uuid.UUID(bytes=DEK_ID), "case", UID, DEK, fixed(0x44))
    assert wrapped.hex() == KAT_WRAPPED
    assert e.unwrap_dek(kek, 1, uuid.UUID(bytes=DEK_ID), "case", UID, wrapped) == DEK


def test_context_uses_injected_rng_for_keys_and_nonces() -> None:
    from crypto.context import CryptoContext
    from crypto.keys import generate_key_material

    ctx = CryptoContext(generate_key_material(fixed(0x01)), rng=fixed(0x22))
    blob = e.encrypt_field(AEAD, DEK_ID, PREFIX, UID.bytes, b"x", ctx.rng)
    assert blob[18:30] == NONCE
    assert ctx.blind_index("persons", "full_name_ct", "ayse", 12) == \
        CryptoContext(generate_key_material(fixed(0x01))).blind_index("persons", "full_name_ct", "ayse", 12)


def test_pack_is_unambiguous() -> None:
    assert e.pack("ab", "c") != e.pack("a", "bc")
    assert e.pack("a") != e.pack("a", "")
    assert e.aad_prefix("t", "c_ct", "str") != e.aad_prefix("t_c", "ct", "str")
    assert e.aad_prefix("t", "c", "str") != e.aad_prefix("t", "c", "int")
    assert e.unpack(e.pack("ab", "", "ç")) == [b"ab", b"", "ç".encode()]


# --- round trips -------------------------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec=None)))
def test_any_text_round_trips(text: str) -> None:
    assert dec(enc(text)) == text


@pytest.mark.parametrize("text", ["", "\x00", "a\x00b", "\ud800", "İı" * 10, "x" * (1 << 20)])
def test_edge_text_round_trips(text: str) -> None:
    blob = enc(text)
    assert dec(blob) == text
    assert len(blob) == 30 + len(text.encode("utf-8", "surrogatepass")) + 16


@settings(max_examples=100, deadline=None)
@given(st.integers())
def test_integers_round_trip(n: int) -> None:
    assert dec(enc(n, "int"), "int") == n


@settings(max_examples=100, deadline=None)
@given(st.dates())
def test_dates_round_trip(d: dt.date) -> None:
    assert dec(enc(d, "date"), "date") == d


json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.text() |
                           st.floats(allow_nan=False, allow_infinity=False),
                           lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
                           max_leaves=12)


@settings(max_examples=100, deadline=None)
@given(json_values)
def test_json_round_trips(value: object) -> None:
    assert dec(enc(value, "json"), "json") == value


def test_same_plaintext_encrypts_differently() -> None:
    assert enc("Ayşe") != enc("Ayşe")


@pytest.mark.parametrize(("kind", "value"), [("str", 1), ("int", "1"), ("int", True), ("date", dt.datetime.now()),
                                             ("json", {1, 2}), ("date", "2020-01-01")])
def test_wrong_python_type_is_refused(kind: str, value: object) -> None:
    with pytest.raises(TypeError):
        e.encode_plain(kind, value)


def test_a_value_cannot_be_read_as_another_kind() -> None:
    # The kind is in the associated data: a str column's value read through an int column's prefix fails.
    with pytest.raises(DecryptionError, match="authentication"):
        dec(enc("12"), "int")
    with pytest.raises(DecryptionError, match="authentication"):
        dec(enc(12, "int"), "str")


@pytest.mark.parametrize(("kind", "data"), [("int", b""), ("int", b"1_000"), ("int", b" 5"), ("int", b"x"),
                                            ("date", b"2026-13-01"), ("json", b"{"), ("str", b"\xff")])
def test_invalid_plaintext_bytes_are_a_decryption_error(kind: str, data: bytes) -> None:
    with pytest.raises(DecryptionError, match="not a valid"):
        e.decode_plain(kind, data)


# --- tampering ---------------------------------------------------------------------------------------------------


def test_every_byte_flip_is_detected() -> None:
    # Version, algorithm, nonce, body and tag. A flipped dek id byte is caught one step earlier in real use (the
    # context looks the key up by it: no such key, or another owner's key that fails the tag; see
    # test_crypto_perf_guards); decrypting with the right key regardless, the rest must still fail.
    for blob in (enc("Hatice Kaya, 0532 000 00 00"),):
        for i in (*range(2), *range(18, len(blob))):
            tampered = bytearray(blob)
            tampered[i] ^= 0x01
            with pytest.raises(DecryptionError):
                e.parse_header(bytes(tampered))
                e.decrypt_field(AEAD, PREFIX, UID.bytes, bytes(tampered))


def test_truncation_and_extension_are_detected() -> None:
    blob = enc("Zeynep")
    for bad in (blob[:-1], blob[:30], blob[:45], b"", blob + b"\x00"):
        with pytest.raises(DecryptionError):
            dec(bad)


@pytest.mark.parametrize("bad", [None, "text", 5])
def test_non_bytes_is_a_decryption_error(bad: object) -> None:
    with pytest.raises(DecryptionError):
        e.parse_header(bad)  # type: ignore[arg-type]


def test_other_row_or_column_fails() -> None:
    blob = enc("Zeynep")
    with pytest.raises(DecryptionError):
        dec(blob, uid=uuid.uuid4())
    with pytest.raises(DecryptionError):
        dec(blob, prefix=e.aad_prefix("persons", "phone_ct", "str"))
    with pytest.raises(DecryptionError):
        dec(blob, prefix=e.aad_prefix("contacts", "full_name_ct", "str"))


def test_wrapped_key_is_bound_to_kek_id_dek_id_and_owner() -> None:
    kek = AESGCM(bytes([0x33]) * 32)
    dek_id = uuid.uuid4()
    wrapped = e.wrap_dek(kek, 1, dek_id, "case", UID, DEK, fixed(0x44))
    for args in ((2, dek_id, "case", UID), (1, uuid.uuid4(), "case", UID), (1, dek_id, "person", UID),
                 (1, dek_id, "case", uuid.uuid4())):
        with pytest.raises(DecryptionError):
            e.unwrap_dek(kek, *args, wrapped)
    with pytest.raises(DecryptionError):
        e.unwrap_dek(AESGCM(bytes(32)), 1, dek_id, "case", UID, wrapped)
