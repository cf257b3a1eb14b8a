"""Shelter models: the shelter, its coordinators, rooms, beds and outages; admission requests, stays, bed
assignments and extension requests.

Dates of a booking are half-open ``[start_on, end_on)``: a resident who leaves on ``end_on`` does not use the bed that
night, so the next resident can arrive the same day. The no-overlap guarantee lives in migration 0006 (PostgreSQL
exclusion constraint, SQLite triggers), not in these classes: Alembic cannot compare either, so they are kept out of
the metadata on purpose (see ``shelters/__init__.py``).
"""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

import crypto
from app.db import Base, PublicIdMixin, UTCDateTime, utcnow
from app.users.models import Centre, User
from cases.core.models import Case, Person

DEFAULT_BOY_AGE_LIMIT = 12
DEFAULT_MAX_STAY_DAYS = 183  # six months
GIRL_AGE_LIMIT = 18


def _enum(cls: type[enum.Enum]) -> sa.Enum:
    return sa.Enum(cls, native_enum=False, length=20, validate_strings=True,
                   values_callable=lambda members: [m.value for m in members])


class RequestStatus(enum.StrEnum):
    PENDING = "pending"    # on the waitlist
    ADMITTED = "admitted"  # the household is (or was) in the shelter
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"


class ExtensionStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REFUSED = "refused"


# Categorical vocabularies (keys stored; labels in shelters/core/labels.py).
DECLINE_REASONS = ("no-capacity", "boy-over-age", "needs-other-service", "addiction", "safety-risk",
                   "declined-by-applicant", "placed-elsewhere", "other")
EXIT_DESTINATIONS = ("own-home", "relatives", "another-shelter", "returned-to-perpetrator", "unknown")
OUTAGE_REASONS = ("repair", "cleaning", "safety", "health", "other")
EXTENSION_REASONS = ("housing-pending", "legal-proceedings", "employment-pending", "health", "safety", "other")


class Shelter(PublicIdMixin, Base):
    __tablename__ = "shelters"
    __key_owner__ = "shelter"  # the shelter is its own key owner: its address has its own data key

    id: Mapped[int] = mapped_column(primary_key=True)
    centre_id: Mapped[int] = mapped_column(sa.ForeignKey("centres.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(120))  # a name or code, never the address
    capacity: Mapped[int] = mapped_column(sa.SmallInteger)  # people, children counted
    boy_age_limit: Mapped[int] = mapped_column(sa.SmallInteger, default=DEFAULT_BOY_AGE_LIMIT)
    max_stay_days: Mapped[int] = mapped_column(sa.SmallInteger, default=DEFAULT_MAX_STAY_DAYS)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    # SECURITY: the confidential address; shown only to this shelter's coordinators and the centre's supervisors.
    address_ct: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    address = crypto.Encrypted()

    centre: Mapped[Centre] = relationship()
    rooms: Mapped[list[Room]] = relationship(back_populates="shelter", order_by="Room.id")
    coordinators: Mapped[list[ShelterCoordinator]] = relationship(back_populates="shelter",
                                                                 cascade="all, delete-orphan")


class ShelterCoordinator(Base):
    __tablename__ = "shelter_coordinators"
    __table_args__ = (sa.UniqueConstraint("shelter_id", "user_id", name="uq_shelter_coordinators_shelter_user"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shelter_id: Mapped[int] = mapped_column(sa.ForeignKey("shelters.id"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    shelter: Mapped[Shelter] = relationship(back_populates="coordinators")
    user: Mapped[User] = relationship()


class Room(PublicIdMixin, Base):
    __tablename__ = "shelter_rooms"

    id: Mapped[int] = mapped_column(primary_key=True)
    shelter_id: Mapped[int] = mapped_column(sa.ForeignKey("shelters.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(60))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    shelter: Mapped[Shelter] = relationship(back_populates="rooms")
    beds: Mapped[list[Bed]] = relationship(back_populates="room", order_by="Bed.id")


class Bed(PublicIdMixin, Base):
    __tablename__ = "shelter_beds"

    id: Mapped[int] = mapped_column(primary_key=True)
    room_id: Mapped[int] = mapped_column(sa.ForeignKey("shelter_rooms.id"), index=True)
    label: Mapped[str] = mapped_column(sa.String(60))
    is_cot: Mapped[bool] = mapped_column(default=False)  # a child's cot
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    room: Mapped[Room] = relationship(back_populates="beds")


class Outage(PublicIdMixin, Base):
    """A room (``bed_id`` empty) or a bed out of service from ``starts_on`` until ``ends_on`` (exclusive; empty =
    until further notice). Rows are never deleted: ending an outage sets ``ends_on``."""

    __tablename__ = "shelter_outages"
    __table_args__ = (sa.CheckConstraint("ends_on IS NULL OR ends_on > starts_on", name="dates"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    room_id: Mapped[int] = mapped_column(sa.ForeignKey("shelter_rooms.id"), index=True)
    bed_id: Mapped[int | None] = mapped_column(sa.ForeignKey("shelter_beds.id"), index=True)
    reason: Mapped[str] = mapped_column(sa.String(20))  # OUTAGE_REASONS key
    starts_on: Mapped[date] = mapped_column(sa.Date)
    ends_on: Mapped[date | None] = mapped_column(sa.Date)
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    room: Mapped[Room] = relationship()
    bed: Mapped[Bed | None] = relationship()

    def covers(self, day: date) -> bool:
        return self.starts_on <= day and (self.ends_on is None or day < self.ends_on)


class AdmissionRequest(PublicIdMixin, Base):
    """A request to admit a woman (and chosen children) from a case: the waitlist entry, then the household."""

    __tablename__ = "shelter_admission_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    shelter_id: Mapped[int] = mapped_column(sa.ForeignKey("shelters.id"), index=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    case_public_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid)
    status: Mapped[RequestStatus] = mapped_column(_enum(RequestStatus), default=RequestStatus.PENDING, index=True)
    requested_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    person_ids: Mapped[list[int]] = mapped_column(sa.JSON, default=list)  # the woman and the chosen children
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decline_reason: Mapped[str | None] = mapped_column(sa.String(30))  # DECLINE_REASONS key
    decline_note_ct: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    decline_note = crypto.Encrypted()

    shelter: Mapped[Shelter] = relationship()
    case: Mapped[Case] = relationship()
    requested_by: Mapped[User] = relationship(foreign_keys=[requested_by_id])
    stays: Mapped[list[Stay]] = relationship(back_populates="request", order_by="Stay.id")

    def __key_owner__(self) -> tuple[str, uuid.UUID]:
        return ("case", self.case_public_id)

    @property
    def audit_case_number(self) -> str:
        return self.case.number


class Stay(PublicIdMixin, Base):
    """One resident's stay (the woman, or one of her children)."""

    __tablename__ = "shelter_stays"
    __table_args__ = (sa.CheckConstraint("planned_end_on > starts_on", name="planned_end"),
                      sa.CheckConstraint("ended_on IS NULL OR ended_on >= starts_on", name="ended"))

    id: Mapped[int] = mapped_column(primary_key=True)
    shelter_id: Mapped[int] = mapped_column(sa.ForeignKey("shelters.id"), index=True)
    request_id: Mapped[int] = mapped_column(sa.ForeignKey("shelter_admission_requests.id"), index=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("persons.id"), index=True)
    starts_on: Mapped[date] = mapped_column(sa.Date)
    planned_end_on: Mapped[date] = mapped_column(sa.Date)
    ended_on: Mapped[date | None] = mapped_column(sa.Date)
    exit_destination: Mapped[str | None] = mapped_column(sa.String(30))  # EXIT_DESTINATIONS key
    admitted_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    request: Mapped[AdmissionRequest] = relationship(back_populates="stays")
    shelter: Mapped[Shelter] = relationship()
    person: Mapped[Person] = relationship()
    case: Mapped[Case] = relationship()
    assignments: Mapped[list[BedAssignment]] = relationship(back_populates="stay", order_by="BedAssignment.start_on")

    @property
    def audit_case_number(self) -> str:
        return self.case.number

    @property
    def is_active(self) -> bool:
        return self.ended_on is None

    def bed_nights(self, today: date) -> int:
        """Nights used so far (or in all, once discharged); a same-day admission and discharge counts one night."""
        end = self.ended_on if self.ended_on is not None else today
        return max(1 if self.ended_on is not None else 0, (end - self.starts_on).days)


class BedAssignment(Base):
    """A bed booked for a stay over ``[start_on, end_on)``. Never two overlapping on one bed (migration 0006)."""

    __tablename__ = "shelter_bed_assignments"
    __table_args__ = (sa.CheckConstraint("end_on > start_on", name="dates"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    stay_id: Mapped[int] = mapped_column(sa.ForeignKey("shelter_stays.id"), index=True)
    bed_id: Mapped[int] = mapped_column(sa.ForeignKey("shelter_beds.id"), index=True)
    start_on: Mapped[date] = mapped_column(sa.Date)
    end_on: Mapped[date] = mapped_column(sa.Date)

    stay: Mapped[Stay] = relationship(back_populates="assignments")
    bed: Mapped[Bed] = relationship()

    @property
    def audit_case_number(self) -> str:
        return self.stay.case.number


class ExtensionRequest(PublicIdMixin, Base):
    """A household's stay extended to ``new_end_on``: requested by a coordinator, decided by a supervisor."""

    __tablename__ = "shelter_extension_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(sa.ForeignKey("shelter_admission_requests.id"), index=True)
    case_public_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid)
    new_end_on: Mapped[date] = mapped_column(sa.Date)
    reason: Mapped[str] = mapped_column(sa.String(30))  # EXTENSION_REASONS key
    note_ct: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    note = crypto.Encrypted()
    status: Mapped[ExtensionStatus] = mapped_column(_enum(ExtensionStatus), default=ExtensionStatus.PENDING,
                                                    index=True)
    requested_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    request: Mapped[AdmissionRequest] = relationship()

    def __key_owner__(self) -> tuple[str, uuid.UUID]:
        return ("case", self.case_public_id)

    @property
    def audit_case_number(self) -> str:
        return self.request.case.number
