"""Her consent to statistics (issue 18 §5): once she was given the KVKK notice, her case is counted in the
statistics only while she has a current consent to them (``Case.excluded_from_statistics``). A case from before
the notice existed stays counted; shelter, inquiry and anonymous feedback figures are not about her file."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from tests import factories
from tests.cases.test_lifecycle import _client

YEAR = 2026  # the factory's cases apply on 2 November 2026


def _privacy(app, case, user, purposes, *, revoke: str | None = None) -> None:  # type: ignore[no-untyped-def]
    from app.db import db
    from app.users.models import User
    from cases.core.models import Case
    from cases.privacy import services as privacy_service

    with app.app_context():
        c, actor = db.session.get(Case, case.id), db.session.get(User, user.id)
        assert c is not None and actor is not None
        privacy_service.record_privacy(c, actor=actor, notice_given=True, notice_method="printed",
                                       purposes=purposes, consent_method="written")
        if revoke:
            consent = next(x for x in privacy_service.case_consents(c) if x.purpose == revoke and not x.revoked_at)
            privacy_service.revoke_consent(consent, actor=actor)
        db.session.commit()


def _excluded(app) -> dict[int, bool]:  # type: ignore[no-untyped-def]
    from app.db import db
    from cases.core.models import Case

    with app.app_context():
        return {i: bool(x) for i, x in db.session.execute(sa.select(Case.id, Case.excluded_from_statistics))}


def _figures(app, centre_id: int) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """The raw (unsuppressed) grand totals of the tables about her file, and the population of the centre."""
    from app.reports.registry import Period, collect_tables, population_counts

    period = Period.year(YEAR)
    with app.test_request_context():
        tables = {t.key: t for t in collect_tables([centre_id], period)}
        figures = {key: sum(sum(row) for row in tables[key].counts)
                   for key in ("channels", "kpi-closure-reasons", "kpi-first-assessment")}
        figures["population"] = population_counts(period).get(centre_id, 0)
    return figures


def _close(app, case) -> None:  # type: ignore[no-untyped-def]
    from app.db import db
    from cases.core.models import Case, CaseStatus

    with app.app_context():
        c = db.session.get(Case, case.id)
        assert c is not None
        c.status, c.close_reason, c.closed_at = CaseStatus.CLOSED, "goals-met", datetime(YEAR, 12, 1, tzinfo=UTC)
        db.session.commit()


def test_without_her_current_consent_to_statistics_her_case_is_not_counted(app, make_user, make_case) -> None:  # type: ignore[no-untyped-def]
    counsellor = make_user("counsellor")
    legacy = [make_case(counsellor) for _ in range(3)]  # from before the notice: counted
    consenting = [make_case(counsellor) for _ in range(3)]
    refusing = make_case(counsellor)  # given the notice, consented to services only
    withdrawing = make_case(counsellor)  # consented to statistics, then withdrew it
    for case in consenting:
        _privacy(app, case, counsellor, ["special-data", "statistics"])
    _privacy(app, refusing, counsellor, ["special-data"])
    _privacy(app, withdrawing, counsellor, ["statistics"], revoke="statistics")
    for case in (*legacy, *consenting, refusing, withdrawing):
        _close(app, case)
    excluded = _excluded(app)
    assert [excluded[c.id] for c in (*legacy, *consenting)] == [False] * 6
    assert excluded[refusing.id] and excluded[withdrawing.id]
    figures = _figures(app, counsellor.centre_id)
    assert figures == {"channels": 6, "kpi-closure-reasons": 6, "kpi-first-assessment": 6, "population": 6}

    _privacy(app, refusing, counsellor, ["statistics"])  # she consents later: counted from now on
    assert not _excluded(app)[refusing.id]
    assert _figures(app, counsellor.centre_id)["channels"] == 7
    _privacy(app, consenting[0], counsellor, [], revoke="statistics")  # withdrawn through the case page's service
    assert _excluded(app)[consenting[0].id]
    assert _figures(app, counsellor.centre_id)["population"] == 6


def test_withdrawing_on_the_case_page_takes_her_out_of_the_statistics(app, make_user, make_case) -> None:  # type: ignore[no-untyped-def]
    import re

    from tests.cases.core_helpers import post

    counsellor = make_user("counsellor")
    case = make_case(counsellor)
    _privacy(app, case, counsellor, ["statistics"])
    assert not _excluded(app)[case.id]
    c = _client(app, counsellor)
    page = f"/cases/{case.public_id}"
    html = factories.page(c, f"{page}/sections/privacy").get_data(as_text=True)
    revoke = re.search(r'action="(/cases/[0-9a-f-]+/privacy/[0-9a-f-]+/revoke)"', html)
    assert revoke
    assert post(c, revoke.group(1), {}, token_url=page).status_code == 302
    assert _excluded(app)[case.id]


def test_the_migration_marks_cases_recorded_before_it(app, make_user, make_case) -> None:  # type: ignore[no-untyped-def]
    from flask_migrate import downgrade, upgrade

    from app.db import db
    from tests.cases.test_break_glass import _revision_before

    counsellor = make_user("counsellor")
    legacy, consenting, refusing, withdrawing = (make_case(counsellor) for _ in range(4))
    _privacy(app, consenting, counsellor, ["statistics"])
    _privacy(app, refusing, counsellor, ["special-data"])
    _privacy(app, withdrawing, counsellor, ["statistics"], revoke="statistics")
    with app.app_context():
        downgrade(revision=_revision_before("0020a"))  # the column did not exist yet
        assert "excluded_from_statistics" not in {c["name"] for c in sa.inspect(db.engine).get_columns("cases")}
        db.session.commit()
        upgrade(revision="heads")
        db.session.remove()
    assert _excluded(app) == {legacy.id: False, consenting.id: False, refusing.id: True, withdrawing.id: True}
