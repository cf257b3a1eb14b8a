"""Recording an anonymous response (the view commits)."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from app.db import db
from cases.feedback.models import ANSWERS, HELPED, FeedbackResponse


class FeedbackInvalid(ValueError):
    """An answer outside the lists."""


def record_feedback(*, centre_id: int, today: date, felt_safe: str | None, felt_believed: str | None,
                    would_recommend: str | None, helped: list[str]) -> bool:
    """Store the answers; False (nothing stored) when she answered nothing."""
    answers = (felt_safe, felt_believed, would_recommend)
    if any(a is not None and a not in ANSWERS for a in answers) or set(helped) - set(HELPED):
        raise FeedbackInvalid("answer outside the lists")
    if all(a is None for a in answers) and not helped:
        return False
    # SECURITY: a Core insert — no ORM change event, whose actor and time would tie it to the closure (see package).
    db.session.execute(sa.insert(FeedbackResponse).values(
        centre_id=centre_id, month=today.replace(day=1), felt_safe=felt_safe, felt_believed=felt_believed,
        would_recommend=would_recommend, helped=sorted(set(helped))))
    return True
