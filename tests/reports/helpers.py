"""Builders and readers for the statistics tests: a small known data set, and table/CSV parsers."""

from __future__ import annotations

import csv
import html
import io
import re
from datetime import UTC, date, datetime
from typing import Any

from flask import Flask

from tests.factories import UserInfo

MARKER_NAME = "Zümrüt Statmarker"
MARKER_TCKN = "10000000146"


def add_cases(app: Flask, counsellor: UserInfo, n: int, *, applied_on: date, channel: str = "walk-in",
              violence_types: tuple[str, ...] = ("physical",), age_band: str | None = "25-34", children: int = 0,
              risk: str | None = None, named: bool = True) -> list[str]:
    """``n`` cases with these categorical values (and an applicant with identifying markers); returns numbers."""
    from app.db import db
    from app.users.models import User
    from cases.core.models import PersonKind, RiskLevel
    from cases.core.services import add_person, open_case

    numbers = []
    with app.app_context():
        actor = db.session.get(User, counsellor.id)
        for _ in range(n):
            case = open_case(actor=actor, applied_on=applied_on, channel=channel,
                             violence_types=list(violence_types), applicant_age_band=age_band,
                             children_count=children, risk_level=RiskLevel(risk) if risk else None)
            if named:
                add_person(case, PersonKind.APPLICANT, full_name=MARKER_NAME, tckn=MARKER_TCKN)
            numbers.append(case.number)
        db.session.commit()
    return numbers


def erase(app: Flask, actor: UserInfo, case_number: str) -> None:
    """Erase the case as her KVKK request does (``cases.retention.services.erase_case``: closed as erased, its data
    key destroyed, its dates coarsened to the month), committed."""
    import sqlalchemy as sa

    from app.db import db
    from app.users.models import User
    from cases.core.models import Case
    from cases.retention.services import erase_case

    with app.app_context():
        case = db.session.scalar(sa.select(Case).where(Case.number == case_number))
        erase_case(case, reason="her erasure request under KVKK", actor=db.session.get(User, actor.id),
                   category="kvkk-request")
        db.session.commit()


def add_referrals(app: Flask, counsellor: UserInfo, case_number: str, n: int, *, institution: str, status: str,
                  sent_at: datetime | None, outcome: str | None = None) -> None:
    import sqlalchemy as sa

    from app.db import db
    from cases.core.models import Case
    from cases.referrals.models import Referral

    with app.app_context():
        case = db.session.scalar(sa.select(Case).where(Case.number == case_number))
        for _ in range(n):
            db.session.add(Referral(case_id=case.id, case_public_id=case.public_id, institution_type=institution,
                                    status=status, sent_at=sent_at, outcome=outcome, created_by_id=counsellor.id,
                                    data_classes=["identity"]))
        db.session.commit()


def add_orders(app: Flask, counsellor: UserInfo, case_number: str, n: int, *, kind: str, issuer: str,
               starts_on: date) -> None:
    import sqlalchemy as sa

    from app.db import db
    from cases.core.models import Case
    from cases.orders.models import ProtectiveOrder

    with app.app_context():
        case = db.session.scalar(sa.select(Case).where(Case.number == case_number))
        for _ in range(n):
            db.session.add(ProtectiveOrder(
                case_id=case.id, case_public_id=case.public_id, kind=kind, issuer=issuer,
                issued_at=datetime.combine(starts_on, datetime.min.time(), tzinfo=UTC), starts_on=starts_on,
                expires_on=date(starts_on.year + 1, 1, 1), created_by_id=counsellor.id))
        db.session.commit()


def table(html_text: str, key: str) -> list[list[str]]:
    """The rows (header first, totals last) of the statistics table ``key`` as text cells."""
    match = re.search(rf'<table[^>]*data-table="{re.escape(key)}"[^>]*>(.*?)</table>', html_text, re.S)
    assert match, f"no table {key}"
    rows = []
    for tr in re.findall(r"<tr[^>]*>(.*?)</tr>", match.group(1), re.S):
        cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", tr, re.S)
        rows.append([html.unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in cells])
    return rows


def as_dict(rows: list[list[str]], column: int = 1) -> dict[str, str]:
    """{row label: cell} for one column (header row skipped)."""
    return {row[0]: row[column] for row in rows[1:]}


def csv_rows(body: bytes) -> list[list[str]]:
    assert body.startswith(b"\xef\xbb\xbf"), "no UTF-8 BOM"
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def csv_table(rows: list[list[str]], title: str) -> list[list[str]]:
    """The lines of one table in the CSV: from its header to the blank line after it."""
    for i, row in enumerate(rows):
        if len(row) >= 2 and row[1] == title:
            out = []
            for line in rows[i + 1:]:
                if not line:
                    break
                out.append(line)
            return out
    raise AssertionError(f"no table {title!r} in the CSV")


def main_html(response: Any) -> str:
    text = response.get_data(as_text=True)
    return text[text.index("<main"):text.index("</main>")]


def publish(app: Flask, admin: UserInfo, year: int = 2025) -> int:
    """Publish ``year`` as ``admin`` the way the page does (``publish_year``, committed); the revision number."""
    from app.db import db
    from app.reports.releases import publish_year
    from app.users.models import User

    with app.test_request_context("/"):
        actor = db.session.get(User, admin.id)
        release = publish_year(year, actor=actor, audit_actor=actor)
        db.session.commit()
        return release.revision
