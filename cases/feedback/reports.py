"""Her feedback in the statistics: answers per question, and what helped (counts of responses; no decryption,
nothing linkable)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from app.db import db
from app.reports.registry import GroupedSection, Period, Table
from cases.core.reports import labels_of
from cases.feedback.forms import ANSWER_LABELS, HELPED_LABELS, QUESTION_LABELS
from cases.feedback.models import ANSWERS, HELPED, QUESTIONS, FeedbackResponse


def _gather(centre_ids: Sequence[int], period: Period) -> list[sa.Row[Any]]:
    """The answers of the period, each with its centre: one read for every centre of a release."""
    return list(db.session.execute(sa.select(
        FeedbackResponse.centre_id, FeedbackResponse.felt_safe, FeedbackResponse.felt_believed,
        FeedbackResponse.would_recommend, FeedbackResponse.helped).where(
        FeedbackResponse.centre_id.in_(list(centre_ids)), FeedbackResponse.month >= period.start,
        FeedbackResponse.month < period.end)).all())


def _build(gathered: list[sa.Row[Any]], centre_ids: Sequence[int], period: Period) -> list[Table]:
    wanted = set(centre_ids)
    rows = [tuple(row)[1:] for row in gathered if row[0] in wanted]
    answers = [[0] * len(ANSWERS) for _q in QUESTIONS]
    helped = [[0] for _h in HELPED]
    col = {a: j for j, a in enumerate(ANSWERS)}
    row = {h: i for i, h in enumerate(HELPED)}
    for *given, what_helped in rows:
        for i, answer in enumerate(given):
            if answer in col:
                answers[i][col[answer]] += 1
        for key in what_helped or []:
            if key in row:
                helped[row[key]][0] += 1
    section = _("Her feedback")
    return [
        Table(key="feedback-answers", section=section, title=_("Feedback at closure: answers to each question"),
              row_header=_("Question"), row_labels=labels_of(QUESTIONS, QUESTION_LABELS),
              col_labels=labels_of(ANSWERS, ANSWER_LABELS), counts=answers, row_totals=True, col_totals=False),
        Table(key="feedback-helped", section=section, title=_("Feedback at closure: what helped her"),
              row_header=_("What helped"), row_labels=labels_of(HELPED, HELPED_LABELS),
              col_labels=[_("Responses")], counts=helped, col_totals=False,
              note=_("She could choose several.")),
    ]


# The provider registered with ``app.reports`` (``cases.registry``) and read by the KPI page.
feedback_tables = GroupedSection(_gather, _build)
