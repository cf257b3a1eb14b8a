"""Shelter occupancy in the statistics counts each person once (issue 15): a woman and her children staying from
February to May, moving rooms on the way, are three people in the year's total, not one per month they stayed in
and not one more per move; their bed-nights are the nights they slept. The year's total of distinct people is
protected with what a reader knows of it (at least the largest month, at most the sum of the months)."""

from __future__ import annotations

import itertools
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask import Flask

from app.reports.suppression import TOTAL, Line, Mark, attacker_bounds, protect, reader_bounds, table_figures
from tests.reports.helpers import add_cases, main_html, publish
from tests.reports.helpers import table as page_table
from tests.shelters.helpers import admit, make_shelter, request_for

ADMITTED, MOVED, LEFT = date(2025, 2, 10), date(2025, 3, 15), date(2025, 5, 20)
SECOND_ADMITTED, SECOND_LEFT = date(2025, 3, 1), date(2025, 4, 30)


def _move_everyone(app: Flask, request_id: Any, coordinator: Any, on: date, bed_ids: list[Any]) -> None:
    from app.db import db
    from app.users.models import User
    from shelters.admissions import services as stays
    from shelters.core.models import AdmissionRequest, Bed

    with app.app_context():
        req = db.session.scalar(sa.select(AdmissionRequest).where(AdmissionRequest.public_id == request_id))
        actor = db.session.get(User, coordinator.id)
        for stay, bed_id in zip(sorted(req.stays, key=lambda s: s.id), bed_ids, strict=True):
            stays.move(stay, bed=db.session.scalar(sa.select(Bed).where(Bed.public_id == bed_id)), on=on,
                       actor=actor)
        db.session.commit()


def _discharge(app: Flask, request_id: Any, coordinator: Any, on: date) -> None:
    from app.db import db
    from app.users.models import User
    from shelters.admissions import services as stays
    from shelters.core.models import AdmissionRequest

    with app.app_context():
        req = db.session.scalar(sa.select(AdmissionRequest).where(AdmissionRequest.public_id == request_id))
        stays.discharge(req, stays=list(req.stays), on=on, destination="relatives",
                        actor=db.session.get(User, coordinator.id), today=on)
        db.session.commit()


def _households(app: Flask, make_user: Any, make_case: Any) -> dict[str, Any]:
    """A woman with two daughters (February to May, all three moving rooms in March) and a woman with her son
    (March and April); 21 other applications so that the centre is published alone."""
    counsellor, admin, coordinator = make_user("counsellor"), make_user("admin"), make_user("coordinator")
    add_cases(app, counsellor, 21, applied_on=date(2025, 1, 20), named=False)
    shelter = make_shelter(app, admin, coordinators=(coordinator,), capacity=8, rooms=(3, 3, 2))
    first = make_case(counsellor, children=(("Elif", "girl", 2016), ("Ece", "girl", 2019)))
    first_request = request_for(app, first, shelter, counsellor)
    admit(app, shelter, first_request, coordinator, [0, 1, 2], ADMITTED)
    _move_everyone(app, first_request, coordinator, MOVED, shelter.bed_ids[3:6])
    second = make_case(counsellor, children=(("Can", "boy", 2018),))
    second_request = request_for(app, second, shelter, counsellor)
    admit(app, shelter, second_request, coordinator, [6, 7], SECOND_ADMITTED)
    _discharge(app, second_request, coordinator, SECOND_LEFT)
    _discharge(app, first_request, coordinator, LEFT)
    return {"admin": admin}


def _occupancy(app: Flask) -> Any:
    from flask_babel import force_locale

    from app.reports.registry import Period, collect_tables
    from app.users.models import Centre

    with app.test_request_context("/"), force_locale("en"):
        from app.db import db

        ids = list(db.session.scalars(sa.select(Centre.id)))
        return next(t for t in collect_tables(ids, Period.year(2025)) if t.key == "occupancy")


def test_each_person_counts_once_in_the_years_total(app: Flask, make_user: Any, make_case: Any) -> None:
    _households(app, make_user, make_case)
    table = _occupancy(app)
    staying = dict(zip(table.row_labels, (row[0] for row in table.counts), strict=True))
    assert staying["February 2025"] == 3 and staying["March 2025"] == 5 and staying["April 2025"] == 5
    assert staying["May 2025"] == 3 and staying["June 2025"] == 0
    assert sum(staying.values()) == 16  # what the total row used to show
    assert table.totals == [5]  # five people: two women, three children
    nights = table.derived[0]
    expected = 3 * (LEFT - ADMITTED).days + 2 * (SECOND_LEFT - SECOND_ADMITTED).days
    assert nights.total == expected  # the move in March adds no night


def test_the_published_total_row_shows_the_people_not_the_sum_of_the_months(app: Flask, client: Any,
                                                                             login_as: Any, make_user: Any,
                                                                             make_case: Any) -> None:
    world = _households(app, make_user, make_case)
    publish(app, world["admin"])
    login_as(client, world["admin"])
    html = main_html(client.get("/reports/?year=2025"))
    rows = {row[0]: row[1:] for row in page_table(html, "occupancy")[1:]}
    assert rows["Total"][0] == "5", rows["Total"]
    assert rows["March 2025"][0] == "5" and rows["February 2025"][0] == "<5"
    expected = 3 * (LEFT - ADMITTED).days + 2 * (SECOND_LEFT - SECOND_ADMITTED).days
    # a month is hidden, so the year's bed-nights (the hidden month's would follow from them) are hidden too
    assert rows["Total"][1] == "x" and rows["March 2025"][1] != "x"
    assert str(expected) not in rows["Total"]


def _possible_december(values: dict[Any, int], marks: dict[Any, Mark], k: int) -> set[int]:
    """An independent attacker: every value of the hidden months (``<k``: 0..k-1, ``x``: k up to the total) that
    agrees with what is shown and with ``max(months) <= total <= sum(months)``; the values December can take."""
    total = values[(TOTAL, 0)]
    assert marks[(TOTAL, 0)] is Mark.SHOWN
    shown = [values[(i, 0)] for i in range(12) if marks[(i, 0)] is Mark.SHOWN]
    hidden = [i for i in range(12) if marks[(i, 0)] is not Mark.SHOWN]
    ranges = [range(k) if marks[(i, 0)] is Mark.PRIMARY else range(k, total + 1) for i in hidden]
    possible = set()
    for guess in itertools.product(*ranges):
        months = [*shown, *guess]
        if max(months) <= total <= sum(months):
            possible.add(guess[hidden.index(11)])
    return possible


def test_a_distinct_total_cannot_give_back_a_small_month() -> None:
    """Eleven months of five different women each and three new ones in December: 58 women in the year. Shown as
    it is, the total minus the shown months (58 - 55) pins December to 3 or 4; protection hides more."""
    k = 5
    counts = [[5]] * 11 + [[3]]
    values, lines = table_figures(counts, row_totals=False, col_totals=True, totals_add_up=False, totals=[58])
    assert any(line.distinct for line in lines)
    naive = {key: Mark.PRIMARY if v < k else Mark.SHOWN for key, v in values.items()}
    assert _possible_december(values, naive, k) == {3, 4}  # the attack works on primary suppression alone
    marks = protect(values, lines, k)
    known = {key: reader_bounds(v, marks[key], k) for key, v in values.items()}
    low, high = attacker_bounds(known, lines)[(11, 0)]
    assert high - low > 2
    possible = _possible_december(values, marks, k)  # the independent attacker agrees
    assert max(possible) - min(possible) > 2, possible


def test_distinct_lines_bound_both_ways() -> None:
    line = Line(("a", "b"), "t", distinct=True)
    bounds = attacker_bounds({"a": (7, 7), "b": (0, 4), "t": (0, float("inf"))}, [line])
    assert bounds["t"] == (7, 11)
    bounds = attacker_bounds({"a": (7, 7), "b": (0, 4), "t": (10, 10)}, [line])
    assert bounds["b"] == (3, 4)


def test_a_woman_who_leaves_twice_is_one_woman_in_the_stay_and_exit_tables(app: Flask, make_user: Any,
                                                                            make_case: Any) -> None:
    """She stays 19 nights in February, comes back on 1 March and leaves again after 60 nights: the length-of-stay
    and exit tables count women, so she is one woman there, by her last stay (1 to 3 months, 60 nights)."""
    from flask_babel import force_locale

    from app.reports.registry import Period, collect_tables
    from app.users.models import Centre

    counsellor, admin, coordinator = make_user("counsellor"), make_user("admin"), make_user("coordinator")
    shelter = make_shelter(app, admin, coordinators=(coordinator,), capacity=4, rooms=(2, 2))
    case = make_case(counsellor)
    first = request_for(app, case, shelter, counsellor, children=False)
    admit(app, shelter, first, coordinator, [0], date(2025, 2, 1))
    _discharge(app, first, coordinator, date(2025, 2, 20))
    again = request_for(app, case, shelter, counsellor, children=False)
    admit(app, shelter, again, coordinator, [1], date(2025, 3, 1))
    _discharge(app, again, coordinator, date(2025, 4, 30))
    with app.test_request_context("/"), force_locale("en"):
        from app.db import db

        ids = list(db.session.scalars(sa.select(Centre.id)))
        tables = {t.key: t for t in collect_tables(ids, Period.year(2025))}
    stay, exits = tables["length-of-stay"], tables["exit-destinations"]
    assert [row[0] for row in stay.counts] == [0, 1, 0, 0]  # not [1, 1, 0, 0]: two stays, one woman
    assert stay.derived[0].total == (date(2025, 4, 30) - date(2025, 3, 1)).days
    assert sum(row[0] for row in exits.counts) == 1
    assert "counted once" in stay.note and stay.col_labels == ["Women"]
    assert tables["people-sheltered"].counts[0] == [1, 1]  # one woman sheltered, one admitted in the year
