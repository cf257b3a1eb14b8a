"""Requests, the waitlist, admission, moves, extensions and discharge.

Bookings are half-open ``[start_on, end_on)``. Every booking change goes through ``_flush_bookings``: the services
check first (friendly messages), the database constraint of migration 0006 decides (``BedTaken``).

Ages of children are estimated from ``Person.birth_year`` assuming a mid-year birthday (1 July): the case records
only the birth year for children, and a month's error is acceptable for a 60-day warning. The full date of birth
(encrypted) is not read here.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Iterable
from datetime import date, timedelta

import sqlalchemy as sa
from flask_babel import format_date
from flask_babel import lazy_gettext as _l

from app import audit
from app.dates import local_today
from app.db import db, utcnow
from app.users.models import User
from cases.core.models import Case, Person, PersonKind, RiskLevel
from shelters.core.errors import BedTaken, BedUnavailable, ChildOverAgeLimit, InvalidRequest, OverCapacity, ShelterError
from shelters.core.models import (
    GIRL_AGE_LIMIT,
    AdmissionRequest,
    Bed,
    BedAssignment,
    ExtensionRequest,
    ExtensionStatus,
    Outage,
    RequestStatus,
    Room,
    Shelter,
    Stay,
)

ADMISSION_WINDOW_DAYS = 30  # how far back or ahead an admission date may be recorded
MAX_EXTENSION_DAYS = 366
CONSTRAINT_MARKERS = ("ex_shelter_bed_assignments_no_overlap", "bed_double_booked")


# --- ages ---------------------------------------------------------------------------------------------------------

def birthday_estimate(birth_year: int, age: int) -> date:
    """The day a child born in ``birth_year`` turns ``age``, assuming a mid-year birthday."""
    return date(birth_year + age, 7, 1)


def estimated_age(birth_year: int | None, on: date) -> int | None:
    if birth_year is None:
        return None
    return on.year - birth_year - (1 if (on.month, on.day) < (7, 1) else 0)


def age_limit_for(person: Person, shelter: Shelter) -> int | None:
    if person.kind != PersonKind.CHILD:
        return None
    if person.sex == "boy":
        return shelter.boy_age_limit
    return GIRL_AGE_LIMIT


def age_limit_warnings(people: Iterable[Person], shelter: Shelter, until: date) -> list[str]:
    """A sentence for each boy who reaches the shelter's age limit by ``until`` (the planned end of a stay or of an
    extension): caught while there is time to plan, not when pressing Admit."""
    found = []
    for person in people:
        if person.kind != PersonKind.CHILD or person.sex != "boy" or person.birth_year is None:
            continue
        turns = birthday_estimate(person.birth_year, shelter.boy_age_limit)
        if turns <= until:
            name = (person.full_name or "").split()
            found.append(str(_l(
                "%(child)s reaches this shelter's age limit for boys (%(limit)s) around %(date)s, before %(until)s "
                "(estimated from his year of birth).", child=name[0] if name else "?", limit=shelter.boy_age_limit,
                date=format_date(turns), until=format_date(until))))
    return found


# --- requests and waitlist ----------------------------------------------------------------------------------------

def open_request_for(case: Case) -> AdmissionRequest | None:
    """The case's pending request, or its admitted household that still has someone in a shelter."""
    active_stay = sa.select(Stay.id).where(Stay.request_id == AdmissionRequest.id, Stay.ended_on.is_(None)).exists()
    return db.session.scalar(
        sa.select(AdmissionRequest).where(
            AdmissionRequest.case_id == case.id,
            sa.or_(AdmissionRequest.status == RequestStatus.PENDING,
                   sa.and_(AdmissionRequest.status == RequestStatus.ADMITTED, active_stay)),
        ).limit(1)
    )


def request_admission(case: Case, *, shelter: Shelter, child_ids: Iterable[uuid.UUID], actor: User) -> AdmissionRequest:
    """Put the woman (always) and the chosen children of ``case`` on ``shelter``'s waitlist."""
    if shelter.centre_id != case.centre_id or not shelter.is_active:
        raise ShelterError(_l("Choose one of your centre's shelters."))
    if case.is_closed:
        raise ShelterError(_l("The case is closed."))
    # The case row is locked (PostgreSQL) as removing a child locks it, and the children are read from the database,
    # not the loaded relationship: a child removed meanwhile cannot end up on the request as a dangling id.
    db.session.execute(sa.select(Case.id).where(Case.id == case.id).with_for_update())
    if open_request_for(case) is not None:
        raise ShelterError(_l("This case already has an open shelter request or stay."))
    applicant = case.applicant
    if applicant is None:
        raise ShelterError(_l("Record the applicant before requesting a shelter place."))
    wanted = set(child_ids)
    children = list(db.session.scalars(sa.select(Person).where(
        Person.case_id == case.id, Person.kind == PersonKind.CHILD, Person.public_id.in_(wanted)).order_by(Person.id)))
    if len(children) != len(wanted):
        raise ShelterError(_l("Choose children of this case."))
    request = AdmissionRequest(shelter=shelter, shelter_id=shelter.id, case=case, case_id=case.id,
                               case_public_id=case.public_id, requested_by_id=actor.id,
                               person_ids=[applicant.id, *(c.id for c in children)])
    db.session.add(request)
    db.session.flush()
    audit.record("shelter.request", object_type="shelter_admission_request", object_id=request.public_id,
                 case_number=case.number, actor=actor, details={"children": len(children)})
    return request


_RISK_ORDER = sa.case(
    (Case.risk_level == RiskLevel.HIGH, 0), (Case.risk_level == RiskLevel.MEDIUM, 1),
    (Case.risk_level == RiskLevel.STANDARD, 2), else_=3,
)


@functools.cache
def _waiting_count_statement() -> sa.Select[tuple[int]]:
    return (sa.select(sa.func.count()).select_from(AdmissionRequest).join(Case, Case.id == AdmissionRequest.case_id)
            .where(AdmissionRequest.shelter_id == sa.bindparam("shelter_id", type_=sa.Integer),
                   AdmissionRequest.status == RequestStatus.PENDING))


def waiting_count(shelter: Shelter) -> int:
    """``len(waitlist(shelter))``, counted by the database (the board and the dashboard show the number only)."""
    return db.session.scalar(_waiting_count_statement(), {"shelter_id": shelter.id}) or 0


def waitlist(shelter: Shelter) -> list[AdmissionRequest]:
    """Pending requests, highest risk first, then oldest first."""
    return list(db.session.scalars(
        sa.select(AdmissionRequest).join(Case, Case.id == AdmissionRequest.case_id)
        .where(AdmissionRequest.shelter_id == shelter.id, AdmissionRequest.status == RequestStatus.PENDING)
        .order_by(_RISK_ORDER, AdmissionRequest.requested_at, AdmissionRequest.id)
    ))


def request_people(request: AdmissionRequest) -> list[Person]:
    by_id = {p.id: p for p in request.case.people}
    return [by_id[i] for i in request.person_ids if i in by_id]


def find_request(shelter: Shelter, request_id: uuid.UUID) -> AdmissionRequest | None:
    # An erased (crypto-shredded) case's household is gone: nothing of it can be decrypted or shown any more.
    return db.session.scalar(sa.select(AdmissionRequest).join(Case, AdmissionRequest.case_id == Case.id).where(
        AdmissionRequest.public_id == request_id, AdmissionRequest.shelter_id == shelter.id,
        sa.or_(Case.close_reason.is_(None), Case.close_reason != "erased")))


# --- beds: availability and the guarded flush ---------------------------------------------------------------------

def shelter_beds(shelter: Shelter) -> list[Bed]:
    return list(db.session.scalars(
        sa.select(Bed).join(Room).where(Room.shelter_id == shelter.id).order_by(Room.id, Bed.id)
    ))


def bed_out_of_service(bed: Bed, start: date, end: date) -> bool:
    return db.session.scalar(
        sa.select(sa.literal(True)).where(
            Outage.room_id == bed.room_id, sa.or_(Outage.bed_id.is_(None), Outage.bed_id == bed.id),
            Outage.starts_on < end, sa.or_(Outage.ends_on.is_(None), Outage.ends_on > start),
        ).limit(1)
    ) is not None


def bed_booked(bed: Bed, start: date, end: date, *, ignore: Iterable[int] = ()) -> bool:
    """Booked for any night of ``[start, end)``, or held by an active resident past her planned end."""
    ignored = list(ignore)
    overlap = sa.select(sa.literal(True)).where(
        BedAssignment.bed_id == bed.id, BedAssignment.start_on < end, BedAssignment.end_on > start,
        BedAssignment.id.not_in(ignored) if ignored else sa.true(),
    ).limit(1)
    if db.session.scalar(overlap):
        return True
    # An overdue resident (planned end passed, not discharged) still sleeps in her last bed.
    overdue = sa.select(sa.literal(True)).select_from(BedAssignment).join(Stay).where(
        BedAssignment.bed_id == bed.id, Stay.ended_on.is_(None), BedAssignment.end_on == Stay.planned_end_on,
        Stay.planned_end_on <= local_today(), BedAssignment.start_on < end,
        BedAssignment.id.not_in(ignored) if ignored else sa.true(),
    ).limit(1)
    return db.session.scalar(overdue) is not None


def bed_free(bed: Bed, start: date, end: date, *, ignore: Iterable[int] = ()) -> bool:
    return not bed_out_of_service(bed, start, end) and not bed_booked(bed, start, end, ignore=ignore)


def is_booking_conflict(exc: sa.exc.IntegrityError) -> bool:
    text = str(exc.orig) if exc.orig is not None else str(exc)
    return any(marker in text for marker in CONSTRAINT_MARKERS)


def _flush_bookings() -> None:
    """Flush; an overlap refused by the database becomes ``BedTaken``. The caller must roll back afterwards."""
    try:
        db.session.flush()
    except sa.exc.IntegrityError as exc:
        if is_booking_conflict(exc):
            raise BedTaken() from None
        raise


def book_bed(stay: Stay, bed: Bed, start: date, end: date) -> BedAssignment:
    """Book ``bed`` for ``stay`` over ``[start, end)`` (checked, then guaranteed by the database)."""
    if not bed_free(bed, start, end):
        raise BedUnavailable()
    assignment = BedAssignment(stay=stay, bed=bed, start_on=start, end_on=end)
    db.session.add(assignment)
    _flush_bookings()
    return assignment


# --- occupancy and capacity ---------------------------------------------------------------------------------------

def stays_overlapping(shelter: Shelter, start: date, end: date) -> list[Stay]:
    return list(db.session.scalars(sa.select(Stay).where(
        Stay.shelter_id == shelter.id, Stay.starts_on < end,
        sa.or_(Stay.ended_on.is_(None), Stay.ended_on > start, Stay.ended_on == Stay.starts_on),
    )))


def occupancy_on(shelter: Shelter, day: date) -> int:
    """People (women and children) staying on the night of ``day``."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(Stay).where(
        Stay.shelter_id == shelter.id, Stay.starts_on <= day,
        sa.or_(Stay.ended_on.is_(None), Stay.ended_on > day,
               sa.and_(Stay.ended_on == Stay.starts_on, Stay.starts_on == day)),
    )) or 0


def staying_tonight(shelter: Shelter, today: date) -> int:
    """People in the shelter tonight: a stay that ended today (even one that began today) is not — what the bed
    board shows. ``occupancy_on`` counts a same-day stay on its day, for the nights used."""
    return db.session.scalar(_staying_tonight_statement(), {"shelter_id": shelter.id, "tonight": today}) or 0


@functools.cache
def _staying_tonight_statement() -> sa.Select[tuple[int]]:
    """``staying_tonight``'s statement, built once per process (the board and the dashboards ask it; issue 20)."""
    today = sa.bindparam("tonight", type_=sa.Date)
    return sa.select(sa.func.count()).select_from(Stay).where(
        Stay.shelter_id == sa.bindparam("shelter_id", type_=sa.Integer), Stay.starts_on <= today,
        sa.or_(Stay.ended_on.is_(None), Stay.ended_on > today))


def peak_occupancy(shelter: Shelter, start: date, end: date, today: date) -> int:
    """The most people present on any night of ``[start, end)`` (active stays count until their planned end, or
    until today if they are overdue)."""
    deltas: dict[date, int] = {}
    for stay in stays_overlapping(shelter, start, end):
        s = max(stay.starts_on, start)
        if stay.ended_on is not None:
            e = max(stay.ended_on, stay.starts_on + timedelta(days=1))
        else:
            e = max(stay.planned_end_on, today + timedelta(days=1))
        e = min(e, end)
        if s < e:
            deltas[s] = deltas.get(s, 0) + 1
            deltas[e] = deltas.get(e, 0) - 1
    peak = current = 0
    for day in sorted(deltas):
        current += deltas[day]
        peak = max(peak, current)
    return peak


# --- admission and refusal ----------------------------------------------------------------------------------------

def admit(request: AdmissionRequest, *, beds: dict[int, Bed], starts_on: date, actor: User,
          today: date | None = None) -> list[Stay]:
    """Admit the household of a pending request: one stay per person, each booked on her own bed until the planned
    end (start + the shelter's maximum stay). ``beds`` maps person id → bed."""
    today = today or local_today()
    shelter = request.shelter
    if request.status != RequestStatus.PENDING:
        raise InvalidRequest()
    if abs((starts_on - today).days) > ADMISSION_WINDOW_DAYS:
        raise ShelterError(_l("The admission date must be within 30 days of today."))
    people = request_people(request)
    if set(beds) != {p.id for p in people}:
        raise ShelterError(_l("Choose a bed for everyone in the request."))
    chosen = list(beds.values())
    if len({b.id for b in chosen}) != len(chosen):
        raise ShelterError(_l("Each person needs her own bed."))
    shelter_bed_ids = {b.id for b in shelter_beds(shelter)}
    if any(b.id not in shelter_bed_ids for b in chosen):
        raise BedUnavailable()
    for person in people:
        limit = age_limit_for(person, shelter)
        age = estimated_age(person.birth_year, starts_on)
        if limit is not None and age is not None and age >= limit:
            raise ChildOverAgeLimit()
    planned_end = starts_on + timedelta(days=shelter.max_stay_days)
    if peak_occupancy(shelter, starts_on, planned_end, today) + len(people) > shelter.capacity:
        raise OverCapacity()
    stays = []
    for person in people:
        stay = Stay(shelter=shelter, shelter_id=shelter.id, request=request, case=request.case,
                    case_id=request.case_id, person=person, person_id=person.id, starts_on=starts_on,
                    planned_end_on=planned_end, admitted_by_id=actor.id)
        db.session.add(stay)
        stays.append(stay)
    for stay in stays:
        book_bed(stay, beds[stay.person_id], starts_on, planned_end)
    request.status = RequestStatus.ADMITTED
    request.decided_by_id, request.decided_at = actor.id, utcnow()
    _flush_bookings()
    audit.record("shelter.admit", object_type="shelter_admission_request", object_id=request.public_id,
                 case_number=request.case.number, actor=actor, details={"residents": len(stays)})
    return stays


def decline(request: AdmissionRequest, *, reason: str, note: str | None, actor: User) -> None:
    if request.status != RequestStatus.PENDING:
        raise InvalidRequest()
    request.status = RequestStatus.DECLINED
    request.decline_reason = reason
    request.decline_note = note or None
    request.decided_by_id, request.decided_at = actor.id, utcnow()
    db.session.flush()
    audit.record("shelter.decline", object_type="shelter_admission_request", object_id=request.public_id,
                 case_number=request.case.number, actor=actor, details={"reason": reason})


# --- stays: move, extension, discharge ----------------------------------------------------------------------------

def find_stay(shelter: Shelter, stay_id: uuid.UUID) -> Stay | None:
    return db.session.scalar(sa.select(Stay).where(Stay.public_id == stay_id, Stay.shelter_id == shelter.id))


def current_assignment(stay: Stay, on: date) -> BedAssignment | None:
    return next((a for a in stay.assignments if a.start_on <= on < a.end_on), None)


def move(stay: Stay, *, bed: Bed, on: date, actor: User) -> None:
    """Move a resident to another bed from ``on`` (the night of ``on`` is spent in the new bed)."""
    if not stay.is_active:
        raise ShelterError(_l("She has left the shelter."))
    if bed.id not in {b.id for b in shelter_beds(stay.shelter)}:
        raise BedUnavailable()
    current = current_assignment(stay, on)
    if current is None:
        raise ShelterError(_l("Choose a date within her stay (extend the stay first if it has ended)."))
    if current.bed_id == bed.id:
        raise ShelterError(_l("She is already in that bed."))
    end = stay.planned_end_on
    # Later bookings of this stay (none in practice) are replaced by the new bed.
    later = [a for a in stay.assignments if a.start_on > on]
    if not bed_free(bed, on, end, ignore=[a.id for a in later]):
        raise BedUnavailable()
    for a in later:
        db.session.delete(a)
    if current.start_on == on:
        current.bed = bed  # a same-day correction: nobody slept in the first bed
        current.end_on = end
    else:
        current.end_on = on
        db.session.add(BedAssignment(stay=stay, bed=bed, start_on=on, end_on=end))
    _flush_bookings()
    audit.record("shelter.move", object_type="shelter_stay", object_id=stay.public_id,
                 case_number=stay.case.number, actor=actor)


def active_stays(request: AdmissionRequest) -> list[Stay]:
    return [s for s in request.stays if s.is_active]


def pending_extension(request: AdmissionRequest) -> ExtensionRequest | None:
    return db.session.scalar(sa.select(ExtensionRequest).where(
        ExtensionRequest.request_id == request.id, ExtensionRequest.status == ExtensionStatus.PENDING))


def request_extension(request: AdmissionRequest, *, new_end_on: date, reason: str, note: str | None,
                      actor: User) -> ExtensionRequest:
    stays = active_stays(request)
    if not stays:
        raise ShelterError(_l("Nobody of this household is in the shelter."))
    if pending_extension(request) is not None:
        raise ShelterError(_l("An extension is already awaiting approval."))
    current_end = max(s.planned_end_on for s in stays)
    if new_end_on <= current_end:
        raise ShelterError(_l("The new end date must be after the planned end date."))
    if (new_end_on - current_end).days > MAX_EXTENSION_DAYS:
        raise ShelterError(_l("Extend by at most a year at a time."))
    extension = ExtensionRequest(request=request, request_id=request.id, case_public_id=request.case_public_id,
                                 new_end_on=new_end_on, reason=reason, requested_by_id=actor.id)
    extension.note = note or None
    db.session.add(extension)
    db.session.flush()
    audit.record("shelter.extension-request", object_type="shelter_extension_request",
                 object_id=extension.public_id, case_number=request.case.number, actor=actor,
                 details={"reason": reason})
    return extension


def find_extension(shelter: Shelter, extension_id: uuid.UUID) -> ExtensionRequest | None:
    return db.session.scalar(sa.select(ExtensionRequest).join(AdmissionRequest).where(
        ExtensionRequest.public_id == extension_id, AdmissionRequest.shelter_id == shelter.id))


def pending_extensions(shelters: Iterable[Shelter]) -> list[ExtensionRequest]:
    ids = [s.id for s in shelters]
    if not ids:
        return []
    return list(db.session.scalars(_pending_extensions_statement(), {"shelter_ids": ids}))


@functools.cache
def _pending_extensions_statement() -> sa.Select[tuple[ExtensionRequest]]:
    """``pending_extensions``' statement, built once per process (the board and the dashboards ask it; issue 20)."""
    return (sa.select(ExtensionRequest).join(AdmissionRequest)
            .where(AdmissionRequest.shelter_id.in_(sa.bindparam("shelter_ids", expanding=True)),
                   ExtensionRequest.status == ExtensionStatus.PENDING)
            .order_by(ExtensionRequest.requested_at))


def decide_extension(extension: ExtensionRequest, *, approve: bool, actor: User) -> None:
    """A supervisor approves (the planned end and the current bookings move to the new date) or refuses."""
    if extension.status != ExtensionStatus.PENDING:
        raise InvalidRequest()
    request = extension.request
    if approve:
        stays = active_stays(request)
        if not stays:
            raise ShelterError(_l("Nobody of this household is in the shelter."))
        for stay in stays:
            last = stay.assignments[-1] if stay.assignments else None
            if last is None or last.end_on >= extension.new_end_on:
                continue
            if not bed_free(last.bed, last.end_on, extension.new_end_on, ignore=[last.id]):
                raise BedUnavailable(_l("A bed of this household is booked for someone else in the extra period. "
                                        "Move her to another bed first."))
            last.end_on = extension.new_end_on
        for stay in stays:
            stay.planned_end_on = max(stay.planned_end_on, extension.new_end_on)
        _flush_bookings()
    extension.status = ExtensionStatus.APPROVED if approve else ExtensionStatus.REFUSED
    extension.decided_by_id, extension.decided_at = actor.id, utcnow()
    db.session.flush()
    audit.record("shelter.extension-" + ("approve" if approve else "refuse"),
                 object_type="shelter_extension_request", object_id=extension.public_id,
                 case_number=request.case.number, actor=actor)


def discharge(request: AdmissionRequest, *, stays: list[Stay], on: date, destination: str, actor: User,
              today: date | None = None) -> None:
    """Discharge residents on ``on`` (they do not sleep there that night; a same-day admission and discharge counts
    one night). Bookings after the date are released."""
    today = today or local_today()
    if not stays or any(s.request_id != request.id or not s.is_active for s in stays):
        raise ShelterError(_l("Choose residents who are in the shelter."))
    if on > today:
        raise ShelterError(_l("Record a discharge on the day she leaves, not in advance."))
    for stay in stays:
        if on < stay.starts_on:
            raise ShelterError(_l("The discharge date cannot be before the admission date."))
    for stay in stays:
        release_from = max(on, stay.starts_on + timedelta(days=1))
        for a in list(stay.assignments):
            if a.start_on >= release_from:
                db.session.delete(a)
            elif a.end_on > release_from:
                a.end_on = release_from
        stay.ended_on = on
        stay.exit_destination = destination
    _flush_bookings()
    audit.record("shelter.discharge", object_type="shelter_admission_request", object_id=request.public_id,
                 case_number=request.case.number, actor=actor,
                 details={"destination": destination, "residents": len(stays)})


def removal_guard(person: Person) -> str | None:
    """A person named by a shelter request (of any status: the waitlist and the household history show her) or by a
    stay cannot be removed from her case (``cases.intake.services``)."""
    if db.session.scalar(sa.select(Stay.id).where(Stay.person_id == person.id).limit(1)) is not None:
        return str(_l("A shelter stay records this person."))
    requests = db.session.scalars(sa.select(AdmissionRequest.person_ids)
                                  .where(AdmissionRequest.case_id == person.case_id))
    if any(person.id in (ids or []) for ids in requests):
        return str(_l("This person is part of a shelter request (waiting list or household)."))
    return None


def erasure_guard(case: Case) -> str | None:
    """A case cannot be crypto-shredded while its household is on the waitlist or in a shelter (the board and the
    waitlist show their names)."""
    pending = db.session.scalar(sa.select(sa.func.count()).select_from(AdmissionRequest).where(
        AdmissionRequest.case_id == case.id, AdmissionRequest.status == RequestStatus.PENDING))
    open_stays = db.session.scalar(sa.select(sa.func.count()).select_from(Stay).where(
        Stay.case_id == case.id, Stay.ended_on.is_(None)))
    if pending or open_stays:
        return "the woman is on a shelter waiting list or in a shelter: decline the request or discharge first"
    return None


def _month(value: date) -> date:
    return value.replace(day=1)


def _next_month(value: date) -> date:
    return (value.replace(day=28) + timedelta(days=4)).replace(day=1)


def coarsen_for_erasure(case: Case) -> int:
    """Erasure step (``cases.retention.services.register_erasure_step``): her stays keep the shelter, the months and
    the exit destination, nothing finer. Dates become the first of their month (a planned end that would fall on
    the start moves to the next month, as the stay's check asks), the beds and rooms she slept in are dropped, and
    the extension requests' dates are coarsened the same way. The erasure guard has made sure no stay is open.
    Flushes; returns how many rows changed."""
    count = 0
    for stay in db.session.scalars(sa.select(Stay).where(Stay.case_id == case.id)).all():
        for assignment in list(stay.assignments):
            db.session.delete(assignment)
            count += 1
        start = _month(stay.starts_on)
        stay.starts_on = start
        if stay.ended_on is not None:
            stay.ended_on = _month(stay.ended_on)
        planned = _month(stay.planned_end_on)
        stay.planned_end_on = planned if planned > start else _next_month(start)
        stay.created_at = stay.created_at.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        count += 1
    requests = sa.select(AdmissionRequest.id).where(AdmissionRequest.case_id == case.id)
    for extension in db.session.scalars(
            sa.select(ExtensionRequest).where(ExtensionRequest.request_id.in_(requests))).all():
        extension.new_end_on = _month(extension.new_end_on)
        extension.requested_at = extension.requested_at.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        if extension.decided_at is not None:
            extension.decided_at = extension.decided_at.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        count += 1
    db.session.flush()
    return count


def inquiry_alert_recipients(case: Case) -> list[tuple[str, list[int]]]:
    """For ``cases.inquiries``: the shelters where someone of this household stays now, with their coordinators'
    user ids (they are told that someone asked about a resident, nothing more)."""
    shelter_ids = db.session.scalars(sa.select(Stay.shelter_id).where(Stay.case_id == case.id,
                                                                      Stay.ended_on.is_(None)).distinct()).all()
    result = []
    for shelter in db.session.scalars(sa.select(Shelter).where(Shelter.id.in_(shelter_ids))):
        result.append((shelter.name, [c.user_id for c in shelter.coordinators]))
    return result
