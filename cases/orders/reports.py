"""The protective-orders section of the statistics (``app.reports``): orders (6284) starting in the period, by
issuer and kind (``ProtectiveOrder.issuer/kind/starts_on`` with SQL ``GROUP BY``)."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from flask_babel import gettext as _

from app.db import db
from app.reports.registry import Period, Table
from cases.core.models import Case
from cases.core.reports import labels_of
from cases.orders.models import ORDER_ISSUERS, ORDER_KINDS, ProtectiveOrder
from cases.orders.services import ISSUER_LABELS, KIND_LABELS


def protective_orders(centre_ids: Sequence[int], period: Period) -> Table:
    rows = db.session.execute(
        sa.select(ProtectiveOrder.issuer, ProtectiveOrder.kind, sa.func.count())
        .join(Case, Case.id == ProtectiveOrder.case_id)
        .where(Case.centre_id.in_(list(centre_ids)), ProtectiveOrder.starts_on >= period.start,
               ProtectiveOrder.starts_on < period.end)
        .group_by(ProtectiveOrder.issuer, ProtectiveOrder.kind)).all()
    row_of = {key: i for i, key in enumerate(ORDER_ISSUERS)}
    col_of = {key: j for j, key in enumerate(ORDER_KINDS)}
    counts = [[0] * len(ORDER_KINDS) for _ in ORDER_ISSUERS]
    for issuer, kind, n in rows:
        if issuer in row_of and kind in col_of:
            counts[row_of[issuer]][col_of[kind]] += int(n)
    return Table(key="protective-orders", section=_("Protective orders"),
                 title=_("Protective orders (6284) starting in the period, by issuer and kind"),
                 row_header=_("Issued by"), row_labels=labels_of(ORDER_ISSUERS, ISSUER_LABELS),
                 col_labels=labels_of(ORDER_KINDS, KIND_LABELS), counts=counts, row_totals=True)


def sections(centre_ids: Sequence[int], period: Period) -> list[Table]:
    """The provider registered with ``app.reports`` (``cases.registry``)."""
    return [protective_orders(centre_ids, period)]
