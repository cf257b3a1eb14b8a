"""The coordinator's view of a resident: the "shelter view" of a case (DESIGN.md §1, §3.6).

``resident_view(request)`` builds a ``ResidentView`` by reading *only* the fields a shelter needs: the woman's name,
language, interpreter need and disability; her children's names, estimated ages and needs; the safe-contact rules;
the risk level; the perpetrator's "do not admit" description; and the shelter-relevant sections of the latest
approved safety plan. Nothing else of the case (narrative, violence types or details, intake, notes, referrals,
perpetrator identity) is read, so no template can show it by mistake.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa

from app.db import db
from cases.core.models import Person, PersonKind
from shelters.admissions.services import estimated_age, request_people
from shelters.core.models import AdmissionRequest

# Safety-plan sections that concern life in the shelter (who may reach her, the code word, the children's safety,
# phone and location safety, getting to work or school). Escape routes from her former home are not shown.
SHELTER_PLAN_SECTIONS = ("safe_contacts", "code_word", "children", "digital", "work_school")
SAFE_CONTACT_KEYS = ("call", "text", "voicemail", "visit", "mail", "safe_hours", "code_word", "phone_checked")


@dataclass(frozen=True)
class ChildView:
    name: str
    sex: str | None
    age: int | None  # estimated from the birth year (mid-year birthday)
    needs: str | None
    disability: str | None


@dataclass(frozen=True)
class ResidentView:
    first_name: str
    surname: str
    language: str | None
    interpreter_needed: bool
    disability: str | None
    children: list[ChildView]
    safe_contact: dict[str, Any]
    risk_level: str | None
    do_not_admit: list[str]
    safety_plan: dict[str, str] | None = None  # None: no approved plan (or the plans module is not installed)
    safety_plan_available: bool = False
    notes: list[str] = field(default_factory=list)


def _split(full_name: str | None) -> tuple[str, str]:
    parts = (full_name or "").split()
    return (parts[0], " ".join(parts[1:])) if parts else ("?", "")


def _safety_plan_sections(case_id: int) -> tuple[bool, dict[str, str] | None]:
    try:
        from cases.plans.models import PlanStatus, SafetyPlanVersion
    except ImportError:  # the safety-plan module is optional
        return False, None
    latest = db.session.scalar(
        sa.select(SafetyPlanVersion)
        .where(SafetyPlanVersion.case_id == case_id, SafetyPlanVersion.status == PlanStatus.APPROVED)
        .order_by(SafetyPlanVersion.version.desc()).limit(1)
    )
    if latest is None:
        return True, None
    sections = latest.sections or {}
    return True, {key: str(sections[key]) for key in SHELTER_PLAN_SECTIONS if sections.get(key)}


def resident_view(request: AdmissionRequest, today: date) -> ResidentView:
    case = request.case
    people = request_people(request)
    applicant = next((p for p in people if p.kind == PersonKind.APPLICANT), None)
    first, surname = _split(applicant.full_name if applicant else None)
    children = [
        ChildView(name=p.full_name or "?", sex=p.sex, age=estimated_age(p.birth_year, today), needs=p.notes,
                  disability=p.disability)
        for p in people if p.kind == PersonKind.CHILD
    ]
    raw_contact = case.safe_contact or {}
    safe_contact = {key: raw_contact[key] for key in SAFE_CONTACT_KEYS if key in raw_contact}
    perpetrators = db.session.scalars(
        sa.select(Person).where(Person.case_id == case.id, Person.kind == PersonKind.PERPETRATOR)
    )
    do_not_admit = [p.notes for p in perpetrators if p.notes]  # the description only, never name or identity
    available, plan = _safety_plan_sections(case.id)
    return ResidentView(
        first_name=first, surname=surname,
        language=applicant.language if applicant else None,
        interpreter_needed=bool(applicant and applicant.interpreter_needed),
        disability=applicant.disability if applicant else None,
        children=children, safe_contact=safe_contact,
        risk_level=str(case.risk_level) if case.risk_level else None,
        do_not_admit=do_not_admit, safety_plan=plan, safety_plan_available=available,
    )
