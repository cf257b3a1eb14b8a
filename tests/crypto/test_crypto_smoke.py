"""Quick end-to-end: write, flush, commit, read back in a new session, search."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from conftest import Case, Person
from sqlalchemy.orm import Session

import crypto


def test_round_trip_through_the_orm(session: Session, engine: sa.Engine) -> None:
    case = Case(title="Başvuru")
    person = Person(case_public_id=case.public_id, full_name="Ayşe Yılmaz", tckn="10000000146",
                    phone="0532 123 45 67", birth_date=dt.date(1990, 5, 17), children=2, needs={"a": [1, "ş"]})
    session.add_all([case, person])
    session.commit()
    assert person.full_name_ct is not None and b"Ay" not in person.full_name_ct
    with Session(engine) as other:
        p = other.scalars(sa.select(Person)).one()
        assert (p.full_name, p.tckn, p.phone) == ("Ayşe Yılmaz", "10000000146", "0532 123 45 67")
        assert p.birth_date == dt.date(1990, 5, 17) and p.children == 2 and p.needs == {"a": [1, "ş"]}
        assert [x.public_id for x in crypto.search(other, Person.full_name, "AYSE YILMAZ")] == [p.public_id]
        assert crypto.search(other, Person.phone, "+90 (532) 123-4567") == [p]
        assert crypto.search(other, Person.full_name, "Fatma") == []
