"""The byte formats: known answers with an injected RNG, round trips, tampering, wrapped-key binding."""

from __future__ import annotations

import datetime as dt
import os
import uuid

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from hypothesis import given, settings
from hypothesis import strategies as st

from crypto import envelope as e
from crypto.errors import DecryptionError

DEK = bytes(range(32))
DEK_ID = bytes([0x11]) * 16
NONCE = bytes([0x22]) * 12
UID = uuid.UUID("00000000-0000-4000-8000-000000000001")
PREFIX = e.aad_prefix("persons", "full_name_ct")
AEAD = AESGCM(DEK)


def fixed(byte: int):  # type: ignore[no-untyped-def]
    return lambda n: bytes([byte]) * n


def enc(value: object, kind: str = "str", uid: uuid.UUID = UID, prefix: bytes = PREFIX) -> bytes:
    return e.encrypt_field(AEAD, DEK_ID, prefix, uid.bytes, e.encode_value(kind, value), os.urandom)


def dec(blob: bytes, kind: str = "str", uid: uuid.UUID = UID, prefix: bytes = PREFIX) -> object:
    assert e.parse_header(blob) == DEK_ID
    return e.decode_value(kind, e.decrypt_field(AEAD, prefix, uid.bytes, blob))


# --- known answers -----------------------------------------------------------------------------------------------

KAT_FIELD = ("0101" + "11" * 16 + "22" * 12 + "0e554703f195443de481da0b24cefcebeeabc84b68aa")
KAT_PREFIX = ("03000000" "1200000000000000" + b"dayanisma/field/v1".hex() + "0700000000000000" + b"persons".hex()
              + "0c00000000000000" + b"full_name_ct".hex())
KAT_WRAPPED = ("44" * 12 + "3090c691ce03896ca88bae99fa90c47e0a9d039974caa95cfd57c868"
               "02fc1c98505aed4240dba350c34250273d53ee55")


def test_field_known_answer() -> None:
    blob = e.encrypt_field(AEAD, DEK_ID, PREFIX, UID.bytes, e.encode_value("str", "Ayşe"), fixed(0x22))
    assert blob.hex() == KAT_FIELD
    assert PREFIX.hex() == KAT_PREFIX
    # Independent check of the documented layout: AAD = header || pack(domain, table, column) || row uid.
    header = bytes.fromhex(KAT_FIELD)[:30]
    assert AESGCM(DEK).decrypt(NONCE, bytes.fromhex(KAT_FIELD)[30:], header + bytes.fromhex(KAT_PREFIX) + UID.bytes) \
        == b"s" + "Ayşe".encode()


def test_wrapped_key_known_answer() -> None:
    kek = AESGCM(bytes([0x33]) * 32)
    wrapped = e.wrap_dek(kek, 1, uuid.UUID(bytes=DEK_ID), "case", UID, DEK, fixed(0x44))
    assert wrapped.hex() == KAT_WRAPPED
    assert e.unwrap_dek(kek, 1, uuid.UUID(bytes=DEK_ID), "case", UID, wrapped) == DEK


def test_context_uses_injected_rng_for_keys_and_nonces() -> None:
    from crypto.context import CryptoContext
    from crypto.keys import generate_key_material

    ctx = CryptoContext(generate_key_material(fixed(0x01)), rng=fixed(0x22))
    blob = e.encrypt_field(AEAD, DEK_ID, PREFIX, UID.bytes, b"sx", ctx.rng)
    assert blob[18:30] == NONCE
    assert ctx.blind_index("persons", "full_name_ct", "ayse", 12) == \
        CryptoContext(generate_key_material(fixed(0x01))).blind_index("persons", "full_name_ct", "ayse", 12)


def test_pack_is_unambiguous() -> None:
    assert e.pack("ab", "c") != e.pack("a", "bc")
    assert e.pack("a") != e.pack("a", "")
    assert e.aad_prefix("t", "c_ct") != e.aad_prefix("t_c", "ct")


# --- round trips -------------------------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec=None)))
def test_any_text_round_trips(text: str) -> None:
    assert dec(enc(text)) == text


@pytest.mark.parametrize("text", ["", "\x00", "a\x00b", "\ud800", "İı" * 10, "x" * (1 << 20)])
def test_edge_text_round_trips(text: str) -> None:
    blob = enc(text)
    assert dec(blob) == text
    assert len(blob) == 30 + 1 + len(text.encode("utf-8", "surrogatepass")) + 16


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
        e.encode_value(kind, value)


def test_type_tag_mismatch_is_a_decryption_error() -> None:
    with pytest.raises(DecryptionError, match="type tag"):
        dec(enc("12"), "int")


# --- tampering ---------------------------------------------------------------------------------------------------


def test_every_byte_flip_is_detected() -> None:
    blob = enc("Hatice Kaya, 0532 000 00 00")
    for i in range(len(blob)):  # header (version, alg, dek id), nonce, body and tag
        tampered = bytearray(blob)
        tampered[i] ^= 0x01
        with pytest.raises(DecryptionError):
            # The dek id bytes would make parse_header point elsewhere; decrypt with the same key regardless.
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
        dec(blob, prefix=e.aad_prefix("persons", "phone_ct"))
    with pytest.raises(DecryptionError):
        dec(blob, prefix=e.aad_prefix("contacts", "full_name_ct"))


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
