"""The protective-orders section of the statistics (``app.reports``): orders (6284) starting in the period, by
issuer and kind (``ProtectiveOrder.issuer/kind/starts_on`` with SQL ``GROUP BY``)."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from flask_babel import gettext as _

from app.db import db
from app.reports.registry import GroupedSection, Period, Table
from app.reports.sql import scanned
from cases.core.models import Case
from cases.core.reports import counted_cases, labels_of
from cases.orders.models import ORDER_ISSUERS, ORDER_KINDS, ProtectiveOrder
from cases.orders.services import ISSUER_LABELS, KIND_LABELS


def _order_counts(centre_ids: Sequence[int], period: Period) -> list[tuple[int, str, str, int]]:
    """(centre id, issuer, kind, count) of the orders starting in the period: one scan of the orders for every
    centre, each joined to its case (``scanned``: not every case of the centres probed for its orders)."""
    columns = (Case.centre_id, ProtectiveOrder.issuer, ProtectiveOrder.kind)
    return [tuple(r) for r in db.session.connection().execute(  # type: ignore[misc]
        sa.select(*columns, sa.func.count())
        .join(Case, Case.id == ProtectiveOrder.case_id)
        .where(scanned(Case.centre_id).in_(list(centre_ids)), ProtectiveOrder.starts_on >= period.start,
               ProtectiveOrder.starts_on < period.end, counted_cases())
        .group_by(scanned(Case.centre_id), *columns[1:])).all()]


def protective_orders(gathered: Sequence[tuple[int, str, str, int]], centre_ids: Sequence[int]) -> Table:
    wanted = set(centre_ids)
    rows = [(issuer, kind, n) for c, issuer, kind, n in gathered if c in wanted]
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


def _build(gathered: Sequence[tuple[int, str, str, int]], centre_ids: Sequence[int], period: Period) -> list[Table]:
    return [protective_orders(gathered, centre_ids)]


# The provider registered with ``app.reports`` (``cases.registry``): one read for every centre of a release.
sections = GroupedSection(_order_counts, _build)
