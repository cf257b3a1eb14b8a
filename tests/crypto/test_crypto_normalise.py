"""Normaliser tables: the same function on write and on query must bring every spelling to one key."""

from __future__ import annotations

import unicodedata

import pytest

from crypto.errors import InvalidPhone, InvalidTCKN, InvalidYKN
from crypto.normalise import (
    normalise_document_number,
    normalise_name,
    normalise_phone,
    normalise_tckn,
    normalise_ykn,
    turkish_lower,
)


def make_tckn(first9: str) -> str:
    d = [int(c) for c in first9]
    d10 = ((d[0] + d[2] + d[4] + d[6] + d[8]) * 7 - (d[1] + d[3] + d[5] + d[7])) % 10
    d11 = (sum(d) + d10) % 10
    return first9 + str(d10) + str(d11)


@pytest.mark.parametrize(("raw", "expected"), [
    ("10000000146", "10000000146"),
    ("100 000 001 46", "10000000146"),
    ("１０００００００１４６", "10000000146"),   # full-width digits
    ("10000000146 ", "10000000146"),
    (make_tckn("123456789"), make_tckn("123456789")),
])
def test_tckn_valid(raw: str, expected: str) -> None:
    assert normalise_tckn(raw) == expected


@pytest.mark.parametrize("raw", [
    "10000000145",        # d11 wrong
    "10000000136",        # d10 wrong
    "01234567890",        # starts with 0
    "1000000014",         # 10 digits
    "100000001466",       # 12 digits
    "1000000014a",
    "",
    "TC10000000146",
])
def test_tckn_invalid(raw: str) -> None:
    with pytest.raises(InvalidTCKN):
        normalise_tckn(raw)


def test_tckn_checksum_rule_is_exact() -> None:
    # For one 9-digit prefix exactly one (d10, d11) pair of the 100 is valid.
    valid = []
    for tail in range(100):
        candidate = f"123456789{tail:02d}"
        try:
            valid.append(normalise_tckn(candidate))
        except InvalidTCKN:
            pass
    assert valid == [make_tckn("123456789")]


def test_ykn() -> None:
    ykn = make_tckn("991234567")
    assert normalise_ykn(ykn[:5] + " " + ykn[5:]) == ykn
    with pytest.raises(InvalidYKN):
        normalise_ykn(make_tckn("123456789"))     # not 99…
    with pytest.raises(InvalidYKN):
        normalise_ykn(ykn[:-1] + str((int(ykn[-1]) + 1) % 10))


@pytest.mark.parametrize(("raw", "expected"), [
    ("U 1234567", "U1234567"), ("u-1234567", "U1234567"), ("İ12345", "I12345"), ("ı12345", "I12345")])
def test_document_number(raw: str, expected: str) -> None:
    assert normalise_document_number(raw) == expected


@pytest.mark.parametrize("raw", [
    "0532 123 45 67", "+90 (532) 123-4567", "5321234567", "05321234567", "905321234567", "+905321234567",
    "0090 532 123 45 67", "(0532) 123 45 67", "0532.123.45.67", "０５３２１２３４５６７",
])
def test_phone_forms_meet(raw: str) -> None:
    assert normalise_phone(raw) == "+905321234567"


def test_landline() -> None:
    assert normalise_phone("0212 555 12 34") == normalise_phone("+90 212 5551234") == "+902125551234"


@pytest.mark.parametrize("raw", ["", "532 123 45", "0532 123 45 678", "+44 20 7946 0958", "0532-ABC-4567",
                                 "1234567890", "+90 0532 123 45 67 8"])
def test_phone_invalid(raw: str) -> None:
    with pytest.raises(InvalidPhone):
        normalise_phone(raw)


@pytest.mark.parametrize("group", [
    ["İSMAİL", "Ismail", "ismaıl", "İsmail", "ISMAIL", "ismail", unicodedata.normalize("NFD", "İsmail")],
    ["IŞIK", "Işık", "ISIK", "işık", "isik"],
    ["Ayşe", "Ayse", "AYŞE", "ayşe", "AYSE"],
    ["AYŞE YILMAZ", "Ayse Yilmaz", "ayşe yılmaz", "  Ayşe   Yılmaz ", "Ayşe\tYılmaz"],
    ["Şükrü Öztürk", "SUKRU OZTURK", "şükrü öztürk", unicodedata.normalize("NFD", "Şükrü Öztürk")],
    ["Çağla Güneş", "CAGLA GUNES", "çağla güneş"],
    ["Ayşe-Nur", "Ayşe Nur", "AYŞE–NUR"],
    ["O'Neil", "ONeil", "O’Neil"],
    ["Hâle", "Hale", "HÂLE"],
])
def test_name_groups_meet(group: list[str]) -> None:
    keys = {normalise_name(name) for name in group}
    assert len(keys) == 1, keys


def test_name_keys_are_ascii_lower_single_spaced() -> None:
    assert normalise_name(" İSMAİL  ŞAHİN ") == "ismail sahin"
    assert normalise_name("IŞIK") == "isik"


def test_different_names_stay_different() -> None:
    assert normalise_name("Ayşe") != normalise_name("Ayten")
    assert normalise_name("Ali Veli") != normalise_name("Aliveli")


def test_turkish_lower_is_not_str_lower() -> None:
    assert "İ".lower() != "i"               # the trap: i + U+0307
    assert turkish_lower("İI") == "iı"
    assert turkish_lower("IŞIK") == turkish_lower("Işık") == "ışık"
