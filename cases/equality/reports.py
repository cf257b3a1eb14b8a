"""The Equality section of the statistics (``app.reports``, issue 21): the women who applied in the period by
disability, migration status and (where any was recorded) gender identity, crossed with the outcomes the yearly
Equality in Service report discusses: a referral sent, a shelter admission, a protective order (6284).

Counts the plain categorical copies on ``Case`` (``applicant_disability``, ``applicant_migration_status``,
``applicant_gender_identity``, kept by ``cases.core.services.sync_equality_copies``) with one SQL ``GROUP BY``;
nothing is decrypted and her own words for her gender identity are never read. The cohort is the cases applied for
in the period; an outcome counts when it happened by the end of the period (a referral sent, an order starting, an
admission of the woman herself), so a closed period's figures do not move with later events.

Every table has one count column and a total row, and names the population its total counts (``population``): the
three "applied" tables print the same total as every other applications table, and the tables of one outcome print
the same total as each other. The disclosure control of the statistics links figures of the same population, so a
small count hidden in one table cannot be recovered from another. A release (``app.reports.releases``) computes
these tables once for a closed year, for all centres and for each published unit, and stores them suppressed.

The shelter admission is counted by the ``shelters`` package, which ``cases`` does not import: it registers a
selector of admitted case ids here (``register_admission_selector``), as it registers its guards elsewhere.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from app.db import db
from app.reports.registry import GroupedSection, Period, Table
from app.reports.sql import scanned
from cases.core.labels import DISABILITY_STAT_LABELS, GENDER_IDENTITY_LABELS, MIGRATION_STATUS_LABELS
from cases.core.models import Case
from cases.core.reports import column_counts, counted_cases, labels_of
from cases.orders.models import ProtectiveOrder
from cases.referrals.models import REFERRAL_STATUSES, Referral

SENT_STATUSES = tuple(s for s in REFERRAL_STATUSES if s != "draft")  # a draft never left the centre

# (period) -> a SELECT of the ids of cases whose applicant was admitted to a shelter before the period's end.
AdmissionSelector = Callable[[Period], sa.Select[Any]]
_ADMISSIONS: list[AdmissionSelector] = []


def register_admission_selector(selector: AdmissionSelector) -> None:
    if selector not in _ADMISSIONS:
        _ADMISSIONS.append(selector)


DIMENSIONS: tuple[tuple[str, str, Mapping[str, object]], ...] = (
    ("disability", "applicant_disability", DISABILITY_STAT_LABELS),
    ("migration", "applicant_migration_status", MIGRATION_STATUS_LABELS),
    ("gender", "applicant_gender_identity", GENDER_IDENTITY_LABELS),
)
OUTCOMES = ("applied", "referred", "sheltered", "ordered")


def _counts(centre_ids: Sequence[int], period: Period) -> list[tuple[Any, ...]]:
    """(centre id, disability, migration, gender, applied, referred, sheltered, ordered): one scan of the cohort for
    every centre of a release, in table order (``scanned``). Each outcome is a conditional count of the women of the
    group who had it: the cases with a referral sent, an order, an admission are each read once into a set the
    database looks every case up in (``IN (SELECT …)``), not looked for case by case (``EXISTS``)."""
    _start, end = period.bounds_utc()
    sent_at = scanned(Referral.sent_at)
    referred = Case.id.in_(sa.select(Referral.case_id).where(
        sent_at.is_not(None), sent_at < end, scanned(Referral.status).in_(SENT_STATUSES)))
    ordered = Case.id.in_(sa.select(ProtectiveOrder.case_id).where(scanned(ProtectiveOrder.starts_on) < period.end))
    sheltered: sa.ColumnElement[Any] = (
        sa.func.count().filter(sa.or_(*(Case.id.in_(selector(period)) for selector in _ADMISSIONS)))
        if _ADMISSIONS else sa.literal(0))
    centre = scanned(Case.centre_id)
    groups = (centre, Case.applicant_disability, Case.applicant_migration_status, Case.applicant_gender_identity)
    return [tuple(row) for row in db.session.connection().execute(
        sa.select(*groups, sa.func.count(), sa.func.count().filter(referred), sheltered,
                  sa.func.count().filter(ordered))
        .where(centre.in_(list(centre_ids)), Case.applied_on >= period.start, Case.applied_on < period.end,
               counted_cases())
        .group_by(*groups))]


def _titles(dimension: str) -> dict[str, str]:
    # Whole titles, not a pattern: Turkish inflects the dimension ("engellilik durumuna göre").
    if dimension == "disability":
        return {"applied": _("Women who applied, by disability"),
                "referred": _("Women referred to another institution, by disability"),
                "sheltered": _("Women admitted to a shelter, by disability"),
                "ordered": _("Women with a protective order (6284), by disability")}
    if dimension == "migration":
        return {"applied": _("Women who applied, by migration status"),
                "referred": _("Women referred to another institution, by migration status"),
                "sheltered": _("Women admitted to a shelter, by migration status"),
                "ordered": _("Women with a protective order (6284), by migration status")}
    return {"applied": _("Women who applied, by gender identity"),
            "referred": _("Women referred to another institution, by gender identity"),
            "sheltered": _("Women admitted to a shelter, by gender identity"),
            "ordered": _("Women with a protective order (6284), by gender identity")}


def _column_labels() -> dict[str, str]:
    return {"applied": _("Women who applied"), "referred": _("Women referred"),
            "sheltered": _("Women admitted to a shelter"), "ordered": _("Women with a protective order")}


def _row_header(dimension: str) -> str:
    return {"disability": _("Disability"), "migration": _("Migration status"),
            "gender": _("Gender identity")}[dimension]


def tables(rows: list[tuple[Any, ...]], *, shelters: bool) -> list[Table]:
    """The Equality tables from ``_counts`` rows without their centre: (disability, migration, gender, then the
    women of that group who applied, were referred, sheltered, had an order) (pure: tests feed it rows)."""
    tally: dict[tuple[str, str], Counter[Any]] = {(d, o): Counter() for d, _c, _l in DIMENSIONS for o in OUTCOMES}
    for disability, migration, gender, *counts in rows:
        for dimension, value in (("disability", disability), ("migration", migration), ("gender", gender)):
            for outcome, n in zip(OUTCOMES, counts, strict=True):
                tally[(dimension, outcome)][value] += int(n)
    gender_recorded = any(key is not None for key in tally[("gender", "applied")])
    out: list[Table] = []
    first = True
    for dimension, _column, labels in DIMENSIONS:
        if dimension == "gender" and not gender_recorded:
            continue  # asked of no one in the period: no table rather than a table of "not recorded"
        keys = list(labels)
        titles = _titles(dimension)
        for outcome in OUTCOMES:
            if outcome == "sheltered" and not shelters:
                continue
            note = ""
            if first:
                note = _("These tables count what women chose to tell the centre; “Prefers not to say” and “Not "
                         "recorded” are shown so that every figure reads against everyone who applied in the period. "
                         "Referrals, shelter admissions and protective orders count the women who applied in the "
                         "period and had one by its end.")
                first = False
            out.append(Table(
                key=f"equality-{dimension}-{outcome}", section=_("Equality"), title=titles[outcome],
                row_header=_row_header(dimension), row_labels=labels_of(keys, labels, _("Not recorded")),
                col_labels=[_column_labels()[outcome]],
                counts=column_counts(tally[(dimension, outcome)].items(), keys), note=note,
                population="applications" if outcome == "applied" else f"equality-{outcome}",
            ))
    return out


def _build(gathered: list[tuple[Any, ...]], centre_ids: Sequence[int], period: Period) -> list[Table]:
    wanted = set(centre_ids)
    return tables([row[1:] for row in gathered if row[0] in wanted], shelters=bool(_ADMISSIONS))


# The provider registered with ``app.reports`` (``cases.registry``): one scan for every centre of a release.
sections = GroupedSection(_counts, _build)
