"""`flask keys reindex` and `flask keys upgrade-format` walk every mapped class with encrypted attributes that the
process has imported; a class whose table this database does not hold (the crypto tests' own models, a tool's) is
skipped, not a 'no such table' failure half-way through the real indexes (issue 14)."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

import crypto


class _ElsewhereBase(DeclarativeBase):
    pass


class Elsewhere(_ElsewhereBase):
    """Mapped and indexed, but its table is in no database the app uses."""

    __tablename__ = "t_keys_cli_elsewhere"
    __key_owner__ = "elsewhere"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, unique=True, default=uuid.uuid4)
    full_name_ct: Mapped[bytes | None] = mapped_column(sa.LargeBinary)

    full_name = crypto.Encrypted(index="name")


def test_reindex_skips_models_whose_table_is_absent_and_still_finds_her(app: Any, make_user: Any,
                                                                        make_case: Any) -> None:
    assert Elsewhere in crypto.encrypted_models()           # the process knows the class (as when suites run together)
    counsellor = make_user("counsellor")
    make_case(counsellor, applicant_name="Saadet Yıldırımoğlu", tckn=None, phone=None)
    runner = app.test_cli_runner()

    done = runner.invoke(args=["keys", "reindex"])
    assert done.exit_code == 0, done.output
    assert "persons.full_name_ct: generation" in done.output
    assert "t_keys_cli_elsewhere" not in done.output
    assert "Saadet" not in done.output

    from app.db import db
    from cases.core.models import Person

    with app.app_context():
        found = crypto.search(db.session(), Person.full_name, "SAADET YILDIRIMOĞLU")
        assert [p.full_name for p in found] == ["Saadet Yıldırımoğlu"]

    only = runner.invoke(args=["keys", "reindex", "--scope", "t_keys_cli_elsewhere.full_name_ct"])
    assert only.exit_code != 0 and "no blind index" in only.output


def test_upgrade_format_skips_models_whose_table_is_absent(app: Any) -> None:
    assert Elsewhere in crypto.encrypted_models()
    dry = app.test_cli_runner().invoke(args=["keys", "upgrade-format", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "t_keys_cli_elsewhere" not in dry.output
