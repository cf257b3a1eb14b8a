"""Demo cases for ``flask demo seed`` (development only): three fictional women with Turkish names, clearly marked.

Registered with ``app.cli.register_demo_seeder`` by ``cases.registry``.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa

from app.db import db
from app.users.models import Centre, Role, User
from cases.core.models import Case, PersonKind, RiskLevel
from cases.core.services import add_person, age_band, open_case
from cases.privacy.services import record_privacy
from cases.risk import services as risk_service

DEMO_CASES: list[dict[str, Any]] = [
    {
        "name": "Ayşe Yılmaz (DEMO)", "tckn": "10000000146", "phone": "0532 000 00 01", "dob": date(1991, 4, 12),
        "risk": RiskLevel.HIGH, "violence": ["physical", "psychological", "stalking"], "channel": "walk-in",
        "children": [("Elif (DEMO)", "girl", 2017), ("Can (DEMO)", "boy", 2015)],
        "safe": {"call": False, "text": True, "voicemail": False, "visit": False, "mail": False,
                 "safe_hours": "Hafta içi 10:00–14:00", "code_word": "papatya", "phone_checked": "yes"},
    },
    {
        "name": "Şule İnce (DEMO)", "tckn": None, "phone": "0533 000 00 02", "dob": date(1984, 9, 3),
        "risk": RiskLevel.MEDIUM, "violence": ["economic", "psychological"], "channel": "sonim",
        "children": [("Zeynep (DEMO)", "girl", 2012)],
        "safe": {"call": True, "text": True, "voicemail": False, "visit": False, "mail": True,
                 "safe_hours": "Her gün 09:00–12:00", "code_word": "", "phone_checked": "no"},
    },
    {
        "name": "Gülizar Işık (DEMO)", "tckn": None, "phone": None, "dob": date(1999, 1, 20),
        "risk": RiskLevel.STANDARD, "violence": ["digital"], "channel": "phone", "children": [],
        "safe": {"call": True, "text": True, "voicemail": True, "visit": False, "mail": False,
                 "safe_hours": "", "code_word": "", "phone_checked": "unknown"},
    },
]


def seed_demo_cases(centre: Centre, users: dict[Role, User]) -> None:
    """Create the demo cases once (idempotent). Flushes, never commits."""
    counsellor = users[Role.COUNSELLOR]
    if db.session.scalar(sa.select(sa.func.count()).select_from(Case).where(Case.centre_id == centre.id)):
        return
    today = date.today()
    for n, spec in enumerate(DEMO_CASES):
        applied = today - timedelta(days=20 - 7 * n)
        case = open_case(actor=counsellor, applied_on=applied, channel=spec["channel"],
                         violence_types=spec["violence"], relationship_to_perpetrator="spouse",
                         applicant_age_band=age_band(spec["dob"], applied), risk_level=spec["risk"],
                         children_count=len(spec["children"]))
        case.narrative = "Bu bir demo kaydıdır; gerçek bir kişiye ait değildir."
        case.safe_contact = spec["safe"]
        add_person(case, PersonKind.APPLICANT, full_name=spec["name"], tckn=spec["tckn"], phone=spec["phone"],
                   date_of_birth=spec["dob"])
        for child_name, sex, year in spec["children"]:
            add_person(case, PersonKind.CHILD, full_name=child_name, sex=sex, birth_year=year)
        add_person(case, PersonKind.PERPETRATOR, full_name="Demo Kişi (DEMO)", relationship_to_applicant="spouse",
                   notes="Uzun boylu, gözlüklü (demo).")
        # The level in the list comes from an assessment on the case page, as in real work (issue 16 §4).
        db.session.flush()
        checklist = risk_service.current_checklist()
        risk_service.record_assessment(case, answers={item["key"]: "no" for item in checklist.items},
                                       actor=counsellor, level=spec["risk"], checklist=checklist,
                                       judgement_reason="Demo: danışmanın mesleki değerlendirmesi (DEMO).")
        record_privacy(case, actor=counsellor, notice_given=True, notice_method="printed",
                       purposes=["special-data", "statistics"], consent_method="written")
    db.session.flush()
