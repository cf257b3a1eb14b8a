"""The shelter sections of the Equality in Service statistics (``app.reports``): occupancy (bed-nights per month
against capacity), people sheltered (women, girls, boys), length of stay and exit destinations.

Counts plain columns only (``Stay.starts_on/ended_on/exit_destination``, ``Person.kind/sex``, ``Shelter.capacity``);
the confidential address and every name stay encrypted and untouched. Bed-nights and average stays describe the
stays of the people counted beside them: they are derived values shown only where that count is shown.
Stays are few (beds × turnover), so the one
fetch of the stays overlapping the period is counted in Python. A night belongs to the month it starts in; a same-day
admission and discharge counts one night; an open stay counts up to last night (``Stay.bed_nights``).
Registered with the reports registry below; ``shelters/registry.py`` imports this module.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from app.dates import local_today
from app.db import db
from app.reports.registry import Derived, GroupedSection, Period, Table, month_label
from cases.core.models import Person, PersonKind
from shelters.core.labels import EXIT_DESTINATION_LABELS
from shelters.core.models import EXIT_DESTINATIONS, Shelter, Stay

# Length-of-stay bands in nights: (upper bound exclusive or None, label)
STAY_BANDS = ((31, "under-1-month"), (92, "1-3-months"), (184, "3-6-months"), (None, "over-6-months"))


def _next_month(day: date) -> date:
    return date(day.year + 1, 1, 1) if day.month == 12 else date(day.year, day.month + 1, 1)


def _stay_end(starts_on: date, ended_on: date | None, today: date) -> date:
    if ended_on is None:
        return max(starts_on, today)
    return ended_on if ended_on > starts_on else starts_on + timedelta(days=1)


def _overlap(a_start: date, a_end: date, b_start: date, b_end: date) -> int:
    return max(0, (min(a_end, b_end) - max(a_start, b_start)).days)


def _gather(centre_ids: Sequence[int], period: Period) -> tuple[list[sa.Row], dict[int, int]]:  # type: ignore[type-arg]
    """The stays overlapping the period in these centres' shelters (each with its centre) and the capacity of each
    centre's open shelters: one read for every centre of a release."""
    stays = db.session.execute(
        sa.select(Shelter.centre_id, Stay.person_id, Stay.starts_on, Stay.ended_on, Stay.exit_destination,
                  Person.kind, Person.sex)
        .join(Shelter, Shelter.id == Stay.shelter_id).join(Person, Person.id == Stay.person_id)
        .where(Shelter.centre_id.in_(list(centre_ids)), Stay.starts_on < period.end,
               sa.or_(Stay.ended_on.is_(None), Stay.ended_on >= period.start))
    ).all()
    capacity = {int(c): int(n or 0) for c, n in db.session.execute(
        sa.select(Shelter.centre_id, sa.func.sum(Shelter.capacity))
        .where(Shelter.centre_id.in_(list(centre_ids)), Shelter.is_active.is_(True))
        .group_by(Shelter.centre_id)).all()}
    return list(stays), capacity


def _build(gathered: tuple[list[sa.Row], dict[int, int]], centre_ids: Sequence[int],  # type: ignore[type-arg]
           period: Period) -> list[Table]:
    today = local_today()
    wanted = set(centre_ids)
    stays = [s for s in gathered[0] if s.centre_id in wanted]
    capacity = sum(n for c, n in gathered[1].items() if c in wanted)
    if not capacity and not stays:
        return []  # no shelter in these centres: no shelter tables rather than a page of zeros
    return [
        _occupancy(stays, int(capacity), period, today),
        _people(stays, period, today),
        _length_of_stay(stays, period),
        _exit_destinations(stays, period),
    ]


# The provider registered with ``app.reports`` (``shelters.registry``): one read for every centre of a release.
sections = GroupedSection(_gather, _build)


def _occupancy(stays: Sequence[sa.Row], capacity: int, period: Period, today: date) -> Table:  # type: ignore[type-arg]
    """People staying per month, with the bed-nights and occupancy they make. The bed-nights of a month describe
    the stays of the people counted beside them, so they are shown only where that count is (``basis=0``)."""
    months = period.months
    nights = [0] * len(months)
    people: list[set[int]] = [set() for _ in months]
    everyone: set[int] = set()
    bounds = [(m, _next_month(m)) for m in months]
    first = (months[0].year, months[0].month)
    for stay in stays:
        end = _stay_end(stay.starts_on, stay.ended_on, today)
        # only the months the stay can overlap (P6: a few months per stay, not every month of the period)
        i = max(0, (stay.starts_on.year - first[0]) * 12 + stay.starts_on.month - first[1])
        while i < len(bounds) and bounds[i][0] < end:
            n = _overlap(stay.starts_on, end, *bounds[i])
            nights[i] += n
            if n:
                people[i].add(stay.person_id)
                everyone.add(stay.person_id)
            i += 1
    capacity_nights = [capacity * (_next_month(m) - m).days for m in months]
    occupancy = [100 * n / c if c else None for n, c in zip(nights, capacity_nights, strict=True)]
    total_capacity = sum(capacity_nights)
    return Table(
        key="occupancy", section=_("Shelters"), title=_("Shelter occupancy per month"), row_header=_("Month"),
        row_labels=[month_label(m) for m in months], col_labels=[_("Women and children staying")],
        counts=[[len(p)] for p in people], totals_add_up=False, totals=[len(everyone)],
        derived=[Derived(_("Bed-nights used"), [float(n) for n in nights], float(sum(nights)), basis=0),
                 Derived(_("Capacity (bed-nights)"), [float(c) for c in capacity_nights], float(total_capacity),
                         basis=None),
                 Derived(_("Occupancy"), occupancy, 100 * sum(nights) / total_capacity if total_capacity else None,
                         basis=0, fmt="{:.0f}%")],
        chart=("derived", 2), chart_unit="%",
        note=_("Capacity counts every place, children's included, of the shelters open today. A person who stayed "
               "in several months is counted once in the total."),
    )


def _group(kind: object, sex: object) -> int:
    if kind == PersonKind.APPLICANT:
        return 0
    return {"girl": 1, "boy": 2}.get(str(sex), 3)


def _people(stays: Sequence[sa.Row], period: Period, today: date) -> Table:  # type: ignore[type-arg]
    sheltered: list[set[int]] = [set(), set(), set(), set()]
    admitted: list[set[int]] = [set(), set(), set(), set()]
    for stay in stays:
        if stay.kind not in (PersonKind.APPLICANT, PersonKind.CHILD):
            continue
        g = _group(stay.kind, stay.sex)
        end = _stay_end(stay.starts_on, stay.ended_on, today)
        n = _overlap(stay.starts_on, end, period.start, period.end)
        starts_inside = period.start <= stay.starts_on < period.end
        if n or starts_inside:
            sheltered[g].add(stay.person_id)
        if starts_inside:
            admitted[g].add(stay.person_id)
    labels = [_("Women"), _("Girls"), _("Boys"), _("Children (sex not recorded)")]
    return Table(
        key="people-sheltered", section=_("Shelters"), title=_("Women and children sheltered"),
        row_header=_("Resident"), row_labels=labels,
        col_labels=[_("Sheltered in the period"), _("Admitted in the period")],
        counts=[[len(sheltered[g]), len(admitted[g])] for g in range(4)],
    )


def _women_who_left(stays: Sequence[sa.Row], period: Period) -> list[sa.Row]:  # type: ignore[type-arg]
    """The women who left the shelter in the period, each once: her last stay that ended in it. The length-of-stay
    and exit tables count women, not stays: a woman who left twice is one woman, and a count of stays would let two
    departures of one woman make a cell look like two people (k-anonymity is about people). Children leave with
    their mother and are not counted here."""
    last: dict[int, sa.Row] = {}  # type: ignore[type-arg]
    for s in stays:
        if s.kind == PersonKind.APPLICANT and s.ended_on is not None and period.start <= s.ended_on < period.end:
            kept = last.get(s.person_id)
            if kept is None or (s.ended_on, s.starts_on) > (kept.ended_on, kept.starts_on):
                last[s.person_id] = s
    return list(last.values())


def _length_of_stay(stays: Sequence[sa.Row], period: Period) -> Table:  # type: ignore[type-arg]
    counts = [0] * len(STAY_BANDS)
    sums = [0] * len(STAY_BANDS)
    for stay in _women_who_left(stays, period):
        length = max(1, (stay.ended_on - stay.starts_on).days)
        band = next(i for i, (upper, _key) in enumerate(STAY_BANDS) if upper is None or length < upper)
        counts[band] += 1
        sums[band] += length
    labels = [_("Under 1 month"), _("1 to 3 months"), _("3 to 6 months"), _("Over 6 months")]
    total = sum(counts)
    return Table(
        key="length-of-stay", section=_("Shelters"), title=_("Length of stay of women who left in the period"),
        row_header=_("Length of stay"), row_labels=labels, col_labels=[_("Women")],
        counts=[[c] for c in counts],
        derived=[Derived(_("Average stay (nights)"), [s / c if c else None for s, c in zip(sums, counts, strict=True)],
                         sum(sums) / total if total else None, basis=0)],
        population="women-left", note=_left_note(),
    )


def _left_note() -> str:
    return _("Each woman is counted once, by the last of her stays that ended in the period, even if she left the "
             "shelter more than once.")


def _exit_destinations(stays: Sequence[sa.Row], period: Period) -> Table:  # type: ignore[type-arg]
    keys = list(EXIT_DESTINATIONS)
    counts = [0] * (len(keys) + 1)
    for stay in _women_who_left(stays, period):
        counts[keys.index(stay.exit_destination) if stay.exit_destination in keys else len(keys)] += 1
    return Table(
        key="exit-destinations", section=_("Shelters"), title=_("Where women went when they left the shelter"),
        row_header=_("Destination"),
        row_labels=[*(str(EXIT_DESTINATION_LABELS[k]) for k in keys), _("Not recorded")],
        col_labels=[_("Women")], counts=[[c] for c in counts], population="women-left", note=_left_note(),
    )


def admitted_cases(period: Period) -> sa.Select:  # type: ignore[type-arg]
    """Ids of the cases whose applicant (the woman herself) was admitted to a shelter before the period's end: the
    shelter outcome of the Equality tables (``cases.equality.reports``, registered in ``shelters/registry.py``)."""
    return (sa.select(Person.case_id).join(Stay, Stay.person_id == Person.id)
            .where(Person.kind == PersonKind.APPLICANT, Stay.starts_on < period.end))
