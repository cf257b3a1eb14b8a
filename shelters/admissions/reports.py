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
from dataclasses import dataclass, field
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


@dataclass
class _Tally:
    """What the shelter tables count, for one centre or a union of centres: every figure is a sum of nights or a
    union of people, so the tally of a published unit is the merge of its centres' tallies (``merge``), exactly what
    counting the unit's stays directly gives. Built once per centre from the one read (``_gather``)."""

    months: int
    stays: int = 0
    nights: list[int] = field(default_factory=list)
    people: list[set[int]] = field(default_factory=list)  # per month, who slept there
    everyone: set[int] = field(default_factory=set)
    sheltered: list[set[int]] = field(default_factory=lambda: [set(), set(), set(), set()])
    admitted: list[set[int]] = field(default_factory=lambda: [set(), set(), set(), set()])
    left: dict[int, tuple[date, date, str]] = field(default_factory=dict)  # woman -> her last stay ended in it

    def __post_init__(self) -> None:
        self.nights = self.nights or [0] * self.months
        self.people = self.people or [set() for _ in range(self.months)]

    def merge(self, other: _Tally) -> None:
        self.stays += other.stays
        self.nights = [a + b for a, b in zip(self.nights, other.nights, strict=True)]
        self.people = [a | b for a, b in zip(self.people, other.people, strict=True)]
        self.everyone |= other.everyone
        self.sheltered = [a | b for a, b in zip(self.sheltered, other.sheltered, strict=True)]
        self.admitted = [a | b for a, b in zip(self.admitted, other.admitted, strict=True)]
        for person, last in other.left.items():
            self.left[person] = max(last, self.left.get(person, last))


def _gather(centre_ids: Sequence[int], period: Period) -> tuple[dict[int, _Tally], dict[int, int]]:
    """The stays overlapping the period in these centres' shelters, counted per centre, and the capacity of each
    centre's open shelters: one read for every centre of a release, and each stay counted once (not once per
    published unit and language)."""
    stays = db.session.connection().execute(
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
    today = local_today()
    months = period.months  # once per read, not once per stay (P6)
    calendar = (months, [_next_month(m) for m in months])
    tallies: dict[int, _Tally] = {}
    for stay in stays:
        tally = tallies.get(stay.centre_id)
        if tally is None:
            tally = tallies[stay.centre_id] = _Tally(len(months))
        _count(tally, stay, period, today, calendar)
    return tallies, capacity


def _build(gathered: tuple[dict[int, _Tally], dict[int, int]], centre_ids: Sequence[int],
           period: Period) -> list[Table]:
    wanted = set(centre_ids)
    tally = _Tally(len(period.months))
    for centre_id, part in gathered[0].items():
        if centre_id in wanted:
            tally.merge(part)
    capacity = sum(n for c, n in gathered[1].items() if c in wanted)
    if not capacity and not tally.stays:
        return []  # no shelter in these centres: no shelter tables rather than a page of zeros
    return [
        _occupancy(tally, int(capacity), period),
        _people(tally),
        _length_of_stay(tally),
        _exit_destinations(tally),
    ]


# The provider registered with ``app.reports`` (``shelters.registry``): one read for every centre of a release.
sections = GroupedSection(_gather, _build)


def _group(kind: object, sex: object) -> int:
    if kind == PersonKind.APPLICANT:
        return 0
    return {"girl": 1, "boy": 2}.get(str(sex), 3)


def _count(tally: _Tally, stay: sa.Row, period: Period, today: date,  # type: ignore[type-arg]
           calendar: tuple[list[date], list[date]]) -> None:
    """One stay into the tally. Occupancy: the nights and people of each month it overlaps. People sheltered and
    admitted: women, girls, boys. Women who left: the stay if it is her last one that ended in the period (the
    length-of-stay and exit tables count women, not stays: a woman who left twice is one woman, and a count of
    stays would let two departures of one woman pass for two people — k-anonymity is about people; her children
    leave with her and are not counted there). ``calendar``: the period's months and the first day after each."""
    tally.stays += 1
    months, month_ends = calendar
    person, starts_on, ended_on, kind = stay.person_id, stay.starts_on, stay.ended_on, stay.kind
    end = _stay_end(starts_on, ended_on, today)
    # only the months the stay can overlap (P6: a few months per stay, not every month of the period)
    i = max(0, (starts_on.year - months[0].year) * 12 + starts_on.month - months[0].month)
    while i < len(months) and months[i] < end:
        n = _overlap(starts_on, end, months[i], month_ends[i])
        tally.nights[i] += n
        if n:
            tally.people[i].add(person)
            tally.everyone.add(person)
        i += 1
    if kind in (PersonKind.APPLICANT, PersonKind.CHILD):
        g = _group(kind, stay.sex)
        starts_inside = period.start <= starts_on < period.end
        if _overlap(starts_on, end, period.start, period.end) or starts_inside:
            tally.sheltered[g].add(person)
        if starts_inside:
            tally.admitted[g].add(person)
    if kind == PersonKind.APPLICANT and ended_on is not None and period.start <= ended_on < period.end:
        last = (ended_on, starts_on, stay.exit_destination or "")
        tally.left[person] = max(last, tally.left.get(person, last))


def _occupancy(tally: _Tally, capacity: int, period: Period) -> Table:
    """People staying per month, with the bed-nights and occupancy they make. The bed-nights of a month describe
    the stays of the people counted beside them, so they are shown only where that count is (``basis=0``)."""
    months = period.months
    nights = tally.nights
    capacity_nights = [capacity * (_next_month(m) - m).days for m in months]
    occupancy = [100 * n / c if c else None for n, c in zip(nights, capacity_nights, strict=True)]
    total_capacity = sum(capacity_nights)
    return Table(
        key="occupancy", section=_("Shelters"), title=_("Shelter occupancy per month"), row_header=_("Month"),
        row_labels=[month_label(m) for m in months], col_labels=[_("Women and children staying")],
        counts=[[len(p)] for p in tally.people], totals_add_up=False, totals=[len(tally.everyone)],
        derived=[Derived(_("Bed-nights used"), [float(n) for n in nights], float(sum(nights)), basis=0),
                 Derived(_("Capacity (bed-nights)"), [float(c) for c in capacity_nights], float(total_capacity),
                         basis=None),
                 Derived(_("Occupancy"), occupancy, 100 * sum(nights) / total_capacity if total_capacity else None,
                         basis=0, fmt="{:.0f}%")],
        chart=("derived", 2), chart_unit="%",
        note=_("Capacity counts every place, children's included, of the shelters open today. A person who stayed "
               "in several months is counted once in the total."),
    )


def _people(tally: _Tally) -> Table:
    labels = [_("Women"), _("Girls"), _("Boys"), _("Children (sex not recorded)")]
    return Table(
        key="people-sheltered", section=_("Shelters"), title=_("Women and children sheltered"),
        row_header=_("Resident"), row_labels=labels,
        col_labels=[_("Sheltered in the period"), _("Admitted in the period")],
        counts=[[len(tally.sheltered[g]), len(tally.admitted[g])] for g in range(4)],
    )


def _length_of_stay(tally: _Tally) -> Table:
    counts = [0] * len(STAY_BANDS)
    sums = [0] * len(STAY_BANDS)
    for ended_on, starts_on, _destination in tally.left.values():
        length = max(1, (ended_on - starts_on).days)
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


def _exit_destinations(tally: _Tally) -> Table:
    keys = list(EXIT_DESTINATIONS)
    counts = [0] * (len(keys) + 1)
    for _ended_on, _starts_on, destination in tally.left.values():
        counts[keys.index(destination) if destination in keys else len(keys)] += 1
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
