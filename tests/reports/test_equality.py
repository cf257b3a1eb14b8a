"""The Equality section of the statistics (issue 21) in a frozen release of a closed year (issue 15): correct counts
by disability, migration status and gender identity crossed with referrals, shelter admissions and protective
orders; small cells suppressed; an independent attacker who knows every shown figure, the meaning of the markers and
that tables of the same population share their total cannot pin a small count; the figures do not move when an
answer is corrected, and a revision withholds a table whose change would single her out; the printable report and
CSV have the section in English and Turkish."""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from tests.reports.helpers import MARKER_NAME, add_cases, add_orders, add_referrals, as_dict, main_html, table

YEAR = "/reports/?year=2025"
K = 5


def _answers(app, numbers, **copies) -> None:  # type: ignore[no-untyped-def]
    from app.db import db
    from cases.core.models import Case

    with app.app_context():
        for case in db.session.scalars(sa.select(Case).where(Case.number.in_(numbers))):
            for key, value in copies.items():
                setattr(case, key, value)
        db.session.commit()


def _publish(client, status: int = 303) -> None:  # type: ignore[no-untyped-def]
    """An admin issues the release (or the next revision) of 2025, as on the statistics page."""
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get("/reports/").get_data(as_text=True))
    assert token
    r = client.post("/reports/releases", data={"year": "2025", "csrf_token": token.group(1)})
    assert r.status_code in ((302, 303) if status == 303 else (status,)), r.get_data(as_text=True)[:2000]


@pytest.fixture
def world(app, client, centre, make_user, login_as):  # type: ignore[no-untyped-def]
    """2025 (20 applications, enough for the centre to be published alone): 15 women without a disability
    (Turkish citizens), 3 with a visual disability under temporary protection (one trans woman), 2 with more than
    one category who preferred not to state a migration status. Not yet published."""
    counsellor = make_user("counsellor")
    plain = add_cases(app, counsellor, 15, applied_on=date(2025, 3, 3))
    visual = add_cases(app, counsellor, 3, applied_on=date(2025, 5, 3))
    multi = add_cases(app, counsellor, 2, applied_on=date(2025, 6, 3))
    _answers(app, plain, applicant_disability="none", applicant_migration_status="citizen",
             applicant_gender_identity="woman")
    _answers(app, visual, applicant_disability="visual", applicant_migration_status="temporary-protection")
    _answers(app, visual[:1], applicant_gender_identity="trans-woman")
    _answers(app, multi, applicant_disability="multiple", applicant_migration_status="prefers-not")
    for number in plain[:6]:
        add_referrals(app, counsellor, number, 1, institution="sonim", status="sent",
                      sent_at=datetime(2025, 7, 1, 9, tzinfo=UTC))
    add_referrals(app, counsellor, visual[0], 2, institution="police", status="sent",
                  sent_at=datetime(2025, 7, 1, 9, tzinfo=UTC))
    add_referrals(app, counsellor, visual[1], 1, institution="police", status="draft", sent_at=None)  # not sent
    add_referrals(app, counsellor, plain[6], 1, institution="police", status="sent",
                  sent_at=datetime(2026, 1, 5, 9, tzinfo=UTC))  # after the period
    add_orders(app, counsellor, visual[0], 1, kind="protective", issuer="family-court", starts_on=date(2025, 8, 1))
    return {"supervisor": make_user("supervisor"), "admin": make_user("admin"), "plain": plain, "visual": visual}


@pytest.fixture
def published(app, client, login_as, world):  # type: ignore[no-untyped-def]
    login_as(client, world["admin"])
    _publish(client)
    return world


def _equality_tables(html: str) -> dict[str, list[list[str]]]:
    return {key: table(html, key) for key in re.findall(r'data-table="(equality-[a-z-]+)"', html)}


def test_counts_and_suppression_as_a_reader_sees_them(app, client, login_as, published, page) -> None:  # type: ignore[no-untyped-def]
    reader = app.test_client()
    login_as(reader, published["supervisor"])
    html = main_html(page(reader, YEAR))
    assert "Equality" in html
    tables = _equality_tables(html)
    assert {"equality-disability-applied", "equality-migration-referred", "equality-gender-ordered",
            "equality-disability-sheltered"} <= set(tables)
    applied = as_dict(tables["equality-disability-applied"])
    assert applied["No disability"] == "15" and applied["Total"] == "20"
    assert applied["Visual"] == applied["More than one category"] == "<5"
    assert applied["Not recorded"] == applied["Hearing"] == "<5"  # a zero looks like a small count
    referred = as_dict(tables["equality-disability-referred"])
    assert referred["Visual"] == "<5"  # one woman, two referrals: counted once
    assert referred["No disability"] in ("6", "x")  # 7 referred: shown, 6 would pin her to 1
    assert "6" not in referred.values() or "7" not in referred.values()
    migration = as_dict(tables["equality-migration-applied"])
    assert migration["Prefers not to say"] == "<5" and migration["Temporary protection (geçici koruma)"] == "<5"
    assert migration["Turkish citizen"] == "15"
    gender = as_dict(tables["equality-gender-applied"])
    assert gender["Trans woman"] == "<5" and gender["Woman"] in ("15", "x")
    assert MARKER_NAME not in html


def test_raw_counts_of_the_provider(app, world) -> None:  # type: ignore[no-untyped-def]
    from app.reports.registry import Period
    from cases.equality.reports import sections

    with app.test_request_context():
        from app.db import db
        from app.users.models import Centre

        centre_ids = list(db.session.scalars(sa.select(Centre.id)))
        got = {t.key: dict(zip(t.row_labels, (row[0] for row in t.counts), strict=True))
               for t in sections(centre_ids, Period.year(2025))}
    assert got["equality-disability-applied"]["No disability"] == 15
    assert got["equality-disability-referred"] == {**{k: 0 for k in got["equality-disability-referred"]},
                                                   "No disability": 6, "Visual": 1}
    assert got["equality-disability-ordered"]["Visual"] == 1
    assert sum(got["equality-disability-sheltered"].values()) == 0
    assert got["equality-gender-applied"]["Not recorded"] == 4


def test_gender_tables_only_when_any_was_recorded(app, client, login_as, world, page) -> None:  # type: ignore[no-untyped-def]
    from app.db import db
    from cases.core.models import Case

    with app.app_context():
        db.session.execute(sa.update(Case).values(applicant_gender_identity=None))
        db.session.commit()
    login_as(client, world["admin"])
    _publish(client)
    tables = _equality_tables(main_html(page(client, YEAR)))
    assert "equality-disability-applied" in tables
    assert not [key for key in tables if key.startswith("equality-gender")]


def _bounds(text: str) -> tuple[float, float]:
    if text == f"<{K}":
        return (0, K - 1)  # zero and 1..k-1 alike
    if text == "x":
        return (K, math.inf)
    return (int(text), int(text))


def test_an_attacker_cannot_pin_a_small_count(app, client, login_as, published, page) -> None:  # type: ignore[no-untyped-def]
    """Independent of the suppression code: each table's column with its total, and the total of every table of the
    same population (shown in any of them), solved by interval reasoning until nothing changes."""
    tables = _equality_tables(main_html(page(client, YEAR)))
    totals: dict[str, set[str]] = {}
    for key, rows in tables.items():
        outcome = key.rsplit("-", 1)[1]
        totals.setdefault(outcome, set()).add(rows[-1][1])
    for key, rows in tables.items():
        outcome = key.rsplit("-", 1)[1]
        known = [t for t in totals[outcome] if t not in ("x", f"<{K}")]
        assert len(set(known)) <= 1, f"{key}: the same population printed with two totals"
        total = _bounds(known[0]) if known else _bounds(rows[-1][1])
        cells = [_bounds(row[1]) for row in rows[1:-1]]
        changed = True
        while changed:
            changed = False
            for i, (lo, hi) in enumerate(cells):
                rest_lo = sum(c[0] for j, c in enumerate(cells) if j != i)
                rest_hi = sum(c[1] for j, c in enumerate(cells) if j != i)
                new = (max(lo, total[0] - rest_hi), min(hi, total[1] - rest_lo))
                if new != (lo, hi):
                    cells[i], changed = new, True
        for (lo, hi), row in zip(cells, rows[1:-1], strict=True):
            if row[1] == f"<{K}" and (lo, hi) != (0, 0):
                assert hi - lo > 2, f"{key}: {row[0]} pinned to {lo}..{hi}"


def test_corrected_answers_do_not_move_the_release_and_a_revision_withholds_her_change(  # type: ignore[no-untyped-def]
        app, client, login_as, published, page) -> None:
    """One woman's disability corrected after the release: the published figures stay; a revision would move
    exactly her two rows by one, so that table keeps the earlier figures and the page says so."""
    from app.db import db
    from cases.core.models import Case

    before = _equality_tables(main_html(page(client, YEAR)))
    with app.app_context():
        db.session.execute(sa.update(Case).where(Case.number == published["plain"][0])
                           .values(applicant_disability="visual"))
        db.session.commit()
    assert _equality_tables(main_html(page(client, YEAR))) == before
    _publish(client)
    html = main_html(page(client, YEAR))
    after = _equality_tables(html)
    assert "equality-disability-applied" not in after  # withheld from revision 2 ...
    assert "Women who applied, by disability" in html  # ... and named in the notice
    assert after["equality-migration-applied"] == before["equality-migration-applied"]
    first = main_html(page(client, YEAR + "&revision=1"))
    assert _equality_tables(first)["equality-disability-applied"] == before["equality-disability-applied"]


def test_printable_report_has_the_equality_section(app, client, login_as, published, page) -> None:  # type: ignore[no-untyped-def]
    html = main_html(page(client, "/reports/print?year=2025"))
    assert "<h2>Equality</h2>" in html
    assert "Women who applied, by disability" in html
    csv = client.get("/reports/export.csv?year=2025").get_data(as_text=True)
    assert "Women referred to another institution, by migration status" in csv
    tr = client.get("/reports/print?year=2025", headers={"Accept-Language": "tr"}).get_data(as_text=True)
    assert "Eşitlik" in tr and "Başvuran kadınlar, engellilik durumuna göre" in tr
