"""P9: the share of persons singled out by their stored blind-index values, from a raw database dump alone.

The attacker (DESIGN.md §3 (a): a DBA with a dump or the app's database credentials, no key material) reads the
tables as stored, in their physical order (SQLite: the order a file dump has; PostgreSQL: heap order, as
``pg_dump`` writes it), and attributes index values to person rows in every way the dump allows:

- columns of the person row that hold index values (the layout before issue 14: ``*_bidx``);
- entries of ``crypto_blind_indexes``, by position: the k-th entry of each scope (in physical order) with the
  k-th person row — what an insertion-ordered heap gives away.

A person is *singled out* when the tuple of index values attributed to her is right (checked here against the truth,
which needs the keys: the attacker cannot check, so this counts only his successes) and no other person has the same
tuple. ``share = singled out / persons``; the target is ≤ 1 % at 10^5 persons.
"""

from __future__ import annotations

import uuid
from collections import Counter
from typing import Any

import sqlalchemy as sa


def _physical(conn: Any, table: str, columns: str, where: str = "") -> list[Any]:
    if conn.dialect.name == "postgresql":
        order = " ORDER BY ctid"
    else:
        order = ""      # SQLite returns a full scan in storage order (rowid, or the key of a WITHOUT ROWID table)
    return list(conn.exec_driver_sql(f"SELECT {columns} FROM {table}{where}{order}"))   # noqa: S608 (fixed names)


def singled_out_share(conn: Any, person_table: str, index_scopes: list[str], truth: dict[bytes, uuid.UUID],
                      uid_column: str = "public_id") -> dict[str, Any]:
    """Measure on a live connection. ``truth``: entry id → row uid (from the pointers, opened with the keys)."""
    inspector = sa.inspect(conn)
    person_cols = [c["name"] for c in inspector.get_columns(person_table)]
    bidx_cols = [c for c in person_cols if c.endswith("_bidx")]
    persons = _physical(conn, person_table, ", ".join([uid_column, *bidx_cols]) if bidx_cols else uid_column)
    uids = [uuid.UUID(str(row[0])) if not isinstance(row[0], uuid.UUID) else row[0] for row in persons]
    attributed: list[list[Any]] = [list(row[1:]) for row in persons]
    correct = [True] * len(persons)
    has_entries = "crypto_blind_indexes" in inspector.get_table_names()
    for scope in index_scopes if has_entries else []:
        entries = _physical(conn, "crypto_blind_indexes", "bucket, id",
                            f" WHERE scope = '{scope}'")   # noqa: S608 (scope names are ours)
        for k, uid in enumerate(uids):
            if k < len(entries):
                bucket, entry_id = entries[k]
                attributed[k].append(bucket)
                correct[k] = correct[k] and truth.get(bytes(entry_id)) == uid
            else:
                attributed[k].append(None)
                correct[k] = False
    tuples = [tuple(a) for a in attributed]
    counts = Counter(tuples)
    singled = sum(1 for t, ok in zip(tuples, correct, strict=True) if ok and t and counts[t] == 1
                  and any(v is not None for v in t))
    n = len(persons)
    return {"persons": n, "singled_out": singled, "share": singled / n if n else 0.0,
            "via_columns": bidx_cols, "via_entry_order": has_entries}


def truth_of(session: Any, ctx: Any, scopes: list[str]) -> dict[bytes, uuid.UUID]:
    """Entry id → row uid for every entry of these scopes (the measurer's key-holding side)."""
    from crypto import blind
    from crypto.models import BlindIndexEntry as E

    out: dict[bytes, uuid.UUID] = {}
    for scope in scopes:
        gens = {g.generation: g for g in blind.generations(session, ctx, scope, 0)}
        for gen_no, bucket, entry_id, pointer in session.execute(
                sa.select(E.generation, E.bucket, E.id, E.pointer).where(E.scope == scope)):
            gen = gens.get(gen_no)
            uid = blind.open_pointer(ctx, gen, bucket, bytes(pointer)) if gen else None
            if uid is not None:
                out[bytes(entry_id)] = uid
    return out


def share_before(values: list[tuple[str, ...]], ctx: Any, places: list[tuple[str, str, int]]) -> float:
    """The layout before issue 14, on the same persons: each row held its own indexes (name 10 bits, TCKN and
    phone 12 bits); share of persons whose tuple of row values is unique."""
    tuples = [tuple(ctx.blind_index(t, c, v, bits) for (t, c, bits), v in zip(places, row, strict=True))
              for row in values]
    counts = Counter(tuples)
    return sum(1 for t in tuples if counts[t] == 1) / len(tuples) if tuples else 0.0
