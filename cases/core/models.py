"""Core case models: the case, its people, team, safe-contact profile, contact notes and break-glass grants.

Sensitive values are ``crypto.Encrypted`` attributes under the case's data key (owner ``("case", case.public_id)``);
categorical values used by dashboards and statistics (status, channel, violence types, risk level, age band) are
plain columns, because statistics must not decrypt every case (DESIGN.md §2, issue 6).

Equality data (issue 21) follows the same split. On the applicant (``Person``) every answer is encrypted like the
rest of her identity: the disability categories and adaptation needs (lists), the migration status, the gender
identity key and her own words for it. The person using violence has an encrypted ``stated_sex``. Plain copies
exist only where the yearly equality statistics count them, on ``Case`` beside the age band, and each is coarser
than what is encrypted: ``applicant_disability`` is one key (a category, "multiple", "none" or "prefers-not", never
the list, never the adaptation needs), ``applicant_migration_status`` the law 6458 status key (no nationality, no
document), ``applicant_gender_identity`` the key only ("self-described" never carries her words). Adaptation needs
and the perpetrator's sex are not counted, so they have no plain copy. Residual risk, accepted as for the age band:
someone holding a dump sees these keys beside a case number; names and identity numbers stay ciphertext.
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


class CaseStatus(enum.StrEnum):
    OPEN = "open"
    ACTIVE = "active"
    CLOSED = "closed"


class RiskLevel(enum.StrEnum):
    STANDARD = "standard"
    MEDIUM = "medium"
    HIGH = "high"


class PersonKind(enum.StrEnum):
    APPLICANT = "applicant"
    CHILD = "child"
    PERPETRATOR = "perpetrator"
    CONTACT = "contact"


# Categorical vocabularies (stored as their keys; labels are translated in cases/core/labels.py).
CHANNELS = ("walk-in", "phone", "sonim", "police", "hospital", "ngo", "other")
VIOLENCE_TYPES = ("physical", "sexual", "psychological", "economic", "stalking", "digital")
RELATIONSHIPS = ("spouse", "former-spouse", "partner", "former-partner", "father", "mother", "brother", "sister",
                 "son", "daughter", "other-family", "acquaintance", "stranger", "other")
PREVIOUS_APPLICATIONS = ("police", "prosecutor", "sonim", "alo-183", "kades")


def _enum(cls: type[enum.Enum]) -> sa.Enum:
    return sa.Enum(cls, native_enum=False, length=20, validate_strings=True,
                   values_callable=lambda members: [m.value for m in members])


class Case(PublicIdMixin, Base):
    __tablename__ = "cases"
    __table_args__ = (sa.UniqueConstraint("centre_id", "year", "serial", name="uq_cases_centre_year_serial"),)
    __key_owner__ = "case"  # the case is its own key owner: one data key per case

    id: Mapped[int] = mapped_column(primary_key=True)
    centre_id: Mapped[int] = mapped_column(sa.ForeignKey("centres.id"), index=True)
    year: Mapped[int] = mapped_column(sa.SmallInteger)
    serial: Mapped[int] = mapped_column(sa.Integer)
    number: Mapped[str] = mapped_column(sa.String(40), unique=True)  # e.g. BYK-2026-0042
    status: Mapped[CaseStatus] = mapped_column(_enum(CaseStatus), default=CaseStatus.OPEN, index=True)
    primary_counsellor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    close_reason: Mapped[str | None] = mapped_column(sa.String(40))  # categorical key

    # Intake (categorical, for dashboards and statistics)
    applied_on: Mapped[date] = mapped_column(sa.Date)
    channel: Mapped[str] = mapped_column(sa.String(20))
    violence_types: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    relationship_to_perpetrator: Mapped[str | None] = mapped_column(sa.String(20))
    previous_applications: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    applicant_age_band: Mapped[str | None] = mapped_column(sa.String(10))
    children_count: Mapped[int] = mapped_column(sa.SmallInteger, default=0)
    risk_level: Mapped[RiskLevel | None] = mapped_column(_enum(RiskLevel), index=True)
    # Equality statistics' copies of the applicant's answers (see the module docstring; NULL: not recorded).
    applicant_disability: Mapped[str | None] = mapped_column(sa.String(20))
    applicant_migration_status: Mapped[str | None] = mapped_column(sa.String(30))
    applicant_gender_identity: Mapped[str | None] = mapped_column(sa.String(20))
    # She was given the KVKK notice and has no current consent to statistics (cases.privacy keeps it up to date):
    # the statistics of her applications, referrals, orders and outcomes leave her out.
    excluded_from_statistics: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

    # Sensitive intake details
    narrative_ct: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    narrative = crypto.Encrypted()
    immediate_needs_ct: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    immediate_needs = crypto.Encrypted()
    # Safe-contact profile: {"call": bool, "text": bool, "voicemail": bool, "visit": bool, "mail": bool,
    # "safe_hours": str, "code_word": str, "phone_checked": bool, "notes": str}
    safe_contact_ct: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    safe_contact = crypto.Encrypted(kind="json")

    centre: Mapped[Centre] = relationship()
    primary_counsellor: Mapped[User | None] = relationship(foreign_keys=[primary_counsellor_id])
    people: Mapped[list[Person]] = relationship(back_populates="case", order_by="Person.id",
                                                cascade="all, delete-orphan")
    members: Mapped[list[CaseMember]] = relationship(back_populates="case", cascade="all, delete-orphan")

    @property
    def audit_case_number(self) -> str:
        return self.number

    @property
    def applicant(self) -> Person | None:
        return next((p for p in self.people if p.kind == PersonKind.APPLICANT), None)

    @property
    def children(self) -> list[Person]:
        return [p for p in self.people if p.kind == PersonKind.CHILD]

    @property
    def perpetrators(self) -> list[Person]:
        return [p for p in self.people if p.kind == PersonKind.PERPETRATOR]

    @property
    def is_closed(self) -> bool:
        return self.status == CaseStatus.CLOSED


class CaseMember(Base):
    """Team members of a case besides the primary counsellor (they see and work on the case)."""

    __tablename__ = "case_members"
    __table_args__ = (sa.UniqueConstraint("case_id", "user_id", name="uq_case_members_case_user"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    case: Mapped[Case] = relationship(back_populates="members")
    user: Mapped[User] = relationship()

    @property
    def audit_case_number(self) -> str:
        return self.case.number


class Person(PublicIdMixin, Base):
    """Someone in a case: the applicant, a child, a perpetrator or a contact. Identity fields are encrypted under
    the case's key; name, TCKN, document number and phone have blind indexes for the returning-applicant check."""

    __tablename__ = "persons"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    case_public_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid)
    kind: Mapped[PersonKind] = mapped_column(_enum(PersonKind), index=True)
    sex: Mapped[str | None] = mapped_column(sa.String(10))  # children: "girl" / "boy" (shelter age rules)
    birth_year: Mapped[int | None] = mapped_column(sa.SmallInteger)  # children: shelter alerts, statistics
    relationship_to_applicant: Mapped[str | None] = mapped_column(sa.String(20))
    interpreter_needed: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    full_name_ct: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    full_name = crypto.Encrypted(index="name")
    tckn_ct: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    tckn = crypto.Encrypted(index="tckn")
    document_no_ct: Mapped[bytes | None] = mapped_column(sa.LargeBinary)  # YKN or passport number
    document_no = crypto.Encrypted(index="document")
    nationality_ct: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    nationality = crypto.Encrypted()
    date_of_birth_ct: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    date_of_birth = crypto.Encrypted(kind="date")
    phone_ct: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    phone = crypto.Encrypted(index="phone")
    address_ct: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    address = crypto.Encrypted()
    language_ct: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    language = crypto.Encrypted()
    disability_ct: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    disability = crypto.Encrypted()
    notes_ct: Mapped[bytes | None] = mapped_column(sa.LargeBinary)  # perpetrator description, child's needs, …
    notes = crypto.Encrypted()
    # Equality data (issue 21): keys of cases.core.labels' vocabularies, encrypted; plain copies on Case.
    disability_types_ct: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    disability_types = crypto.Encrypted(kind="json")  # list of DISABILITY_LABELS keys
    adaptation_needs_ct: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    adaptation_needs = crypto.Encrypted(kind="json")  # list of ADAPTATION_LABELS keys
    migration_status_ct: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    migration_status = crypto.Encrypted()
    gender_identity_ct: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    gender_identity = crypto.Encrypted()
    gender_identity_text_ct: Mapped[bytes | None] = mapped_column(sa.LargeBinary)  # her own words
    gender_identity_text = crypto.Encrypted()
    stated_sex_ct: Mapped[bytes | None] = mapped_column(sa.LargeBinary)  # the person using violence
    stated_sex = crypto.Encrypted()

    case: Mapped[Case] = relationship(back_populates="people")

    def __key_owner__(self) -> tuple[str, uuid.UUID]:
        return ("case", self.case_public_id)

    @property
    def audit_case_number(self) -> str:
        return self.case.number


BREAK_GLASS_CATEGORIES = ("colleague-absent", "emergency-at-door", "court-police-request", "other")


class BreakGlassGrant(PublicIdMixin, Base):
    """Time-limited read access to an unassigned case of the counsellor's centre, with a stated reason.

    Flagged for the supervisor's review and highlighted in the audit log (action ``case.break-glass``).
    SECURITY: staff fill the free-text reason with case content ("she came in bruised …"), so it is encrypted under
    the case's data key (the reviewing supervisor reads it; shredding the case destroys it); the append-only audit
    row carries only the ``category`` (BREAK_GLASS_CATEGORIES)."""

    __tablename__ = "break_glass_grants"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    category: Mapped[str] = mapped_column(sa.String(30), default="other")
    reason_ct: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    reason = crypto.Encrypted()
    reviewed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    case: Mapped[Case] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])

    def __key_owner__(self) -> tuple[str, uuid.UUID]:
        if self.case is not None:
            return ("case", self.case.public_id)
        # built with case_id only (not yet attached to its case): look the case's public id up
        session = sa.orm.object_session(self)
        assert session is not None
        return ("case", session.scalars(sa.select(Case.public_id).where(Case.id == self.case_id)).one())

    @property
    def audit_case_number(self) -> str:
        return self.case.number
