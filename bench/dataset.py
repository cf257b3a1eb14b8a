"""Synthetic case data for the database benchmarks (P2 search, P3 case list), built fast and cached.

Shape (realistic, not flattering): one case per applicant, each case with its own data key; 1-3 persons per case
(the applicant; 40 % also a child or perpetrator, 10 % a third person), so a scale of N cases holds about 1.5 N
persons. Every person has an encrypted name, TCKN, phone, date of birth and address with the app's real blind
indexes; names come from ~110 first names (a quarter of people have two) and ~110 surnames, so namesakes are
common, as in life (a one-first-name applicant has about 9 at 10^5 cases). Ciphertexts are produced with the
app's own key material and ``crypto.envelope`` (the same byte format and AAD binding as the ORM path), not with ORM
flushes, which would take minutes at 10^5.

The rows are pickled under ``bench-results/`` (git-ignored) with the key file they were encrypted under, so later
runs only bulk-insert them (into a fresh SQLite file or a throwaway PostgreSQL database).
"""

from __future__ import annotations

import os
import pickle
import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench-results"
FORMAT = 6   # bump when the row shape changes: old cache files are then rebuilt

FIRST = ["Ayşe", "Fatma", "Emine", "Hatice", "Zeynep", "Elif", "Meryem", "Şerife", "Zehra", "Sultan", "Hanife",
         "Merve", "Havva", "Zeliha", "Esra", "Fadime", "Özlem", "Hacer", "Yasemin", "Hülya", "Cennet", "Gül",
         "İlknur", "Derya", "Büşra", "Kübra", "Rukiye", "Songül", "Dilek", "Sevgi", "Gülsüm", "Nurcan", "Işıl",
         "Çiğdem", "Tuğba", "Sibel", "Filiz", "Leyla", "Nermin", "Aslı", "Melek", "Aysel", "Nuray", "Pınar",
         "Serpil", "Gönül", "Sevim", "Necla", "Hale", "Esma", "Kader", "Saliha", "Nazlı", "Gizem", "Ebru", "Ceren",
         "Burcu", "Duygu", "Ezgi", "Damla", "Ece", "Selin", "Deniz", "Sena", "Betül", "Rabia", "Hilal", "Şeyma",
         "Sümeyye", "Yıldız", "Nurten", "Gülay", "Aynur", "Birsen", "Canan", "Emel", "Feride", "Güler", "Hacer",
         "İpek", "Jale", "Lale", "Müge", "Nihal", "Oya", "Perihan", "Reyhan", "Saadet", "Tülay", "Ümran", "Vildan",
         "Yeter", "Zübeyde", "Bahar", "Cemile", "Dudu", "Elçin", "Fidan", "Gökçe", "Hamide", "Rojda", "Berfin",
         "Dilan", "Helin", "Zozan", "Ronahi", "Nesrin", "Amina", "Mariam", "Olena"]
LAST = ["Yılmaz", "Kaya", "Demir", "Çelik", "Şahin", "Yıldız", "Yıldırım", "Öztürk", "Aydın", "Özdemir", "Arslan",
        "Doğan", "Kılıç", "Aslan", "Çetin", "Kara", "Koç", "Kurt", "Özkan", "Şimşek", "Polat", "Öz", "Korkmaz",
        "Karakaya", "Erdoğan", "Güneş", "Tekin", "Bulut", "Ünal", "Işık", "Güler", "Turan", "Kaplan", "Avcı",
        "Sarı", "Bozkurt", "Uçar", "Akın", "Acar", "Ateş", "Aksoy", "Altun", "Bayram", "Bilgin", "Bozdağ", "Cengiz",
        "Coşkun", "Çakır", "Çınar", "Duman", "Durmaz", "Ekinci", "Erdem", "Eren", "Genç", "Gök", "Gündüz", "Gürbüz",
        "Işıklar", "İnce", "Kahraman", "Karaca", "Karataş", "Keskin", "Kocabaş", "Kuru", "Metin", "Oral", "Orhan",
        "Özer", "Özgür", "Özkaya", "Öztaş", "Pehlivan", "Sağlam", "Savaş", "Sevim", "Soylu", "Süzer", "Şen",
        "Taş", "Taşkın", "Temel", "Toprak", "Tuna", "Tunç", "Uysal", "Uzun", "Vural", "Yalçın", "Yaman", "Yavuz",
        "Yazıcı", "Yener", "Yiğit", "Yücel", "Zengin", "Akbulut", "Aktaş", "Alkan", "Baysal", "Demirci", "Ergin",
        "Kalkan", "Kırmızı", "Önal", "Sezer", "Tokgöz", "Ulusoy", "Yurt"]
STREETS = ["Gül Sokak", "Atatürk Caddesi", "Cumhuriyet Mahallesi", "İnönü Bulvarı", "Çınar Sokak", "Lale Sokak"]
CITIES = ["Çankaya / Ankara", "Kadıköy / İstanbul", "Bornova / İzmir", "Osmangazi / Bursa", "Seyhan / Adana"]
CHANNELS = ("walk-in", "phone", "sonim", "police", "hospital", "ngo", "other")
STATUSES = ("open", "active", "active", "closed")   # weights: half active, a quarter each open / closed
RISKS = (None, "standard", "medium", "high")
CENTRES = 4


def counsellors_per_centre(scale: int) -> int:
    """10 per centre from 16,000 cases up (a counsellor then follows 2,500 cases at 10^5); fewer below, so that
    even the 10^3 data set gives the benchmarked counsellor more than one page of current cases."""
    return max(2, min(10, scale // 1600))


def valid_tckn(rng: random.Random) -> str:
    d = [rng.randint(1, 9)] + [rng.randint(0, 9) for _ in range(8)]
    d10 = ((d[0] + d[2] + d[4] + d[6] + d[8]) * 7 - (d[1] + d[3] + d[5] + d[7])) % 10
    d11 = (sum(d) + d10) % 10
    return "".join(map(str, [*d, d10, d11]))


@dataclass
class Dataset:
    scale: int
    key_file_text: str
    centres: list[dict[str, Any]] = field(default_factory=list)
    users: list[dict[str, Any]] = field(default_factory=list)
    data_keys: list[dict[str, Any]] = field(default_factory=list)
    cases: list[dict[str, Any]] = field(default_factory=list)
    persons: list[dict[str, Any]] = field(default_factory=list)
    members: list[dict[str, Any]] = field(default_factory=list)
    index_entries: list[dict[str, Any]] = field(default_factory=list)   # crypto_blind_indexes rows
    # Plaintexts of a sample of applicants, for search queries: (tckn, phone, name, case index)
    probes: list[tuple[str, str, str, int]] = field(default_factory=list)
    # crypto_index_generations rows: only for a data set built with the widths `keys reindex` would choose
    generations: list[dict[str, Any]] = field(default_factory=list)


def _place(attr: Any) -> tuple[str, str, bytes]:
    d = attr.descriptor
    return d.place(attr.model)


PERSONS_PER_CASE = 1.5     # the applicant, and one or two more persons in 40 % of cases (see build)


def build(scale: int, ctx: Any, key_file_text: str, seed: int = 7, widen: bool = False) -> Dataset:
    """Rows for ``scale`` cases; ``ctx`` is the app's CryptoContext (the key file the app will load).

    ``widen``: the blind indexes at the width `keys reindex` chooses for this population (``blind.bits_for`` of the
    expected number of persons, buckets of 5+ on average), recorded as each scope's active generation; otherwise at
    the attributes' default widths (no generation rows)."""
    from cases.core.models import Person
    from crypto import blind, envelope

    rng = random.Random(seed)
    ds = Dataset(scale=scale, key_file_text=key_file_text)
    now = datetime.now(UTC)
    kek_id = ctx.keyring.active_id
    kek = ctx.keyring.aead(kek_id)
    fields = {name: getattr(Person, name) for name in ("full_name", "tckn", "phone", "date_of_birth", "address")}
    places = {name: _place(attr) for name, attr in fields.items()}
    wide = blind.bits_for(round(scale * PERSONS_PER_CASE))
    indexes = {name: (attr.descriptor.index.normalise, wide if widen else attr.descriptor.index.bits)
               for name, attr in fields.items() if attr.descriptor.index is not None}
    if widen:
        for name in indexes:
            table, column, _ = places[name]
            ds.generations.append({"scope": f"{table}.{column}", "generation": 1, "key_epoch": ctx.index_ring.ids[0],
                                   "bits": wide, "state": "active", "created_at": now, "activated_at": now})

    user_id = 0
    for c in range(1, CENTRES + 1):
        ds.centres.append({"id": c, "public_id": uuid.uuid4(), "code": f"B{c:02d}", "name": f"Bench merkez {c}",
                           "created_at": now})
        for role, n in (("supervisor", 1), ("counsellor", counsellors_per_centre(scale))):
            for _ in range(n):
                user_id += 1
                ds.users.append({"id": user_id, "public_id": uuid.uuid4(), "email": f"bench{user_id}@example.org",
                                 "name": f"{rng.choice(FIRST)} {rng.choice(LAST)}", "role": role, "centre_id": c,
                                 "password_hash": "!bench-no-login", "is_active": True, "created_at": now,
                                 "password_changed_at": now})
    counsellors = {c: [u["id"] for u in ds.users if u["centre_id"] == c and u["role"] == "counsellor"]
                   for c in range(1, CENTRES + 1)}
    serials: dict[tuple[int, int], int] = {}
    person_id = 0
    start = date(2021, 1, 1)
    for i in range(scale):
        centre = i % CENTRES + 1
        applied = start + timedelta(days=rng.randrange(5 * 365))
        serial = serials[(centre, applied.year)] = serials.get((centre, applied.year), 0) + 1
        case_uid, dek_id, dek = uuid.uuid4(), uuid.uuid4(), os.urandom(32)
        owner = ("case", case_uid)
        ds.data_keys.append({"id": dek_id, "owner_type": "case", "owner_id": case_uid, "kek_id": kek_id,
                             "created_at": now,
                             "wrapped": envelope.wrap_dek(kek, kek_id, dek_id, *owner, dek, os.urandom)})
        aead, dek_b = AESGCM(dek), dek_id.bytes
        status = rng.choice(STATUSES)
        primary = rng.choice(counsellors[centre])
        ds.cases.append({"id": i + 1, "public_id": case_uid, "centre_id": centre, "year": applied.year,
                         "serial": serial, "number": f"B{centre:02d}-{applied.year}-{serial:05d}", "status": status,
                         "primary_counsellor_id": primary, "created_by_id": primary,
                         "opened_at": datetime(applied.year, applied.month, applied.day, 9, tzinfo=UTC)
                         + timedelta(minutes=rng.randrange(600)),
                         "closed_at": now if status == "closed" else None, "applied_on": applied,
                         "channel": rng.choice(CHANNELS), "violence_types": ["psychological"],
                         "previous_applications": [], "children_count": 0, "risk_level": rng.choice(RISKS),
                         "applicant_age_band": "25-34"})
        if rng.random() < 0.1:   # a second counsellor in the team of one case in ten
            ds.members.append({"case_id": i + 1, "user_id": rng.choice(counsellors[centre]), "added_at": now})
        extra = 0 if rng.random() < 0.6 else (1 if rng.random() < 0.75 else 2)
        for k in range(1 + extra):
            person_id += 1
            kind = "applicant" if k == 0 else rng.choice(("child", "perpetrator"))
            uid = uuid.uuid4()
            first = rng.choice(FIRST) if rng.random() < 0.75 else f"{rng.choice(FIRST)} {rng.choice(FIRST)}"
            values: dict[str, Any] = {"full_name": f"{first} {rng.choice(LAST)}", "tckn": valid_tckn(rng),
                      "phone": f"05{rng.randint(30, 59)} {rng.randint(100, 999)} {rng.randint(10, 99)} "
                               f"{rng.randint(10, 99)}",
                      "date_of_birth": date(1960 + rng.randrange(45), rng.randint(1, 12), rng.randint(1, 28)),
                      "address": f"{rng.choice(STREETS)} No {rng.randint(1, 90)}, {rng.choice(CITIES)}"}
            row: dict[str, Any] = {"id": person_id, "public_id": uid, "case_id": i + 1, "case_public_id": case_uid,
                                   "kind": kind, "interpreter_needed": False, "created_at": now}
            for name, value in values.items():
                table, column, prefix = places[name]
                kind_ = fields[name].descriptor.kind
                row[f"{name}_ct"] = envelope.encrypt_field(aead, dek_b, prefix, uid.bytes,
                                                           envelope.encode_plain(kind_, value), os.urandom)
                if name in indexes:
                    normalise, bits = indexes[name]
                    gen = blind.Generation(f"{table}.{column}", 1, ctx.index_ring.ids[0], bits, "active")
                    ds.index_entries.append(blind.entry(ctx, gen, table, column, uid, normalise(value)))
            ds.persons.append(row)
            if k == 0 and len(ds.probes) < 2000 and rng.random() < 2000 / scale * 1.2:
                ds.probes.append((values["tckn"], values["phone"], values["full_name"], i))
    return ds


def load_or_build(scale: int, log: Any = print, widen: bool = False) -> tuple[Dataset, Path]:
    """The cached data set for ``scale`` (built and pickled on first use) and its key file (``widen``: see build)."""
    import crypto

    RESULTS.mkdir(exist_ok=True)
    name = f"{scale}{'-wide' if widen else ''}-v{FORMAT}"
    cache = RESULTS / f"dataset-{name}.pickle"
    key_file = RESULTS / f"keys-{name}.json"
    if cache.exists() and key_file.exists():
        with cache.open("rb") as fh:
            ds = pickle.load(fh)
        if ds.key_file_text == key_file.read_text():
            return ds, key_file
    material = crypto.generate_key_material()
    crypto.write_key_file(key_file, material)
    ctx = crypto.CryptoContext(material)
    shown = cache.relative_to(ROOT) if cache.is_relative_to(ROOT) else cache
    log(f"  building the {scale}-case data set (cached in {shown}) …")
    ds = build(scale, ctx, key_file.read_text(), widen=widen)
    with cache.open("wb") as fh:
        pickle.dump(ds, fh, protocol=pickle.HIGHEST_PROTOCOL)
    return ds, key_file


def insert(engine: sa.Engine, ds: Dataset, chunk: int = 20_000, entry_order: str = "bucket") -> None:
    """Bulk-insert the data set with Core (executemany / insertmanyvalues), then ANALYZE.

    ``entry_order``: "bucket" (as ``keys reindex`` leaves them) or "intake" (person after person, as the app writes
    them one intake at a time: what a heap keeps until it is rewritten; bench/p9_bench.py)."""
    from app.users.models import Centre, User
    from cases.core.models import Case, CaseMember, Person
    from crypto.models import BlindIndexEntry, DataKey, IndexGeneration

    # The entries in (bucket, id) order, as `keys reindex` leaves them (bulk loads are followed by a re-index).
    if entry_order == "intake":
        entries = list(ds.index_entries)
    elif entry_order == "bucket":
        entries = sorted(ds.index_entries, key=lambda e: (e["scope"], e["generation"], e["bucket"], e["id"]))
    else:
        raise ValueError(f"entry_order {entry_order!r}")
    with engine.begin() as conn:
        model: type
        for model, rows in ((Centre, ds.centres), (User, ds.users), (DataKey, ds.data_keys), (Case, ds.cases),
                            (Person, ds.persons), (CaseMember, ds.members), (BlindIndexEntry, entries),
                            (IndexGeneration, getattr(ds, "generations", []))):
            for i in range(0, len(rows), chunk):
                conn.execute(sa.insert(model), rows[i:i + chunk])
        if engine.dialect.name == "postgresql":
            for name in ("centres", "users", "cases", "persons", "case_members"):
                conn.execute(sa.text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                                     f"(SELECT max(id) FROM {name}))"))
    with engine.connect() as conn:
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        conn.execute(sa.text("ANALYZE"))
