"""The location-inquiries section of the statistics (``app.reports``): inquiries per month and channel, linked to a
case or not (``LocationInquiry.centre_id/occurred_at/channel`` with SQL ``GROUP BY``; nothing is decrypted). A month
is the UTC month of when it happened; figures are suppressed like every table of a release."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, time

import sqlalchemy as sa
from flask_babel import gettext as _

from app.db import db
from app.reports.registry import GroupedSection, Period, Table, month_index, month_label
from cases.core.reports import labels_of
from cases.inquiries.models import CHANNELS, LocationInquiry
from cases.inquiries.services import CHANNEL_LABELS


def _utc(day: object) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)  # type: ignore[arg-type]


def _inquiry_counts(centre_ids: Sequence[int], period: Period) -> list[tuple[int, int, int, str, int]]:
    """(centre id, year, month, channel, count) of the inquiries of the period: one scan for every centre."""
    year, month = sa.extract("year", LocationInquiry.occurred_at), sa.extract("month", LocationInquiry.occurred_at)
    columns = (LocationInquiry.centre_id, year, month, LocationInquiry.channel)
    return [(int(c), int(y), int(m), ch, int(n)) for c, y, m, ch, n in db.session.execute(
        sa.select(*columns, sa.func.count())
        .where(LocationInquiry.centre_id.in_(list(centre_ids)), LocationInquiry.occurred_at >= _utc(period.start),
               LocationInquiry.occurred_at < _utc(period.end))
        .group_by(*columns)).all()]


def inquiries_per_month(gathered: Sequence[tuple[int, int, int, str, int]], centre_ids: Sequence[int],
                        period: Period) -> Table:
    wanted, index = set(centre_ids), month_index(period)
    col_of = {key: j for j, key in enumerate(CHANNELS)}
    counts = [[0] * len(CHANNELS) for _ in period.months]
    for centre, year, month, channel, n in gathered:
        if centre in wanted and (year, month) in index and channel in col_of:
            counts[index[(year, month)]][col_of[channel]] += n
    return Table(key="location-inquiries", section=_("Location inquiries"),
                 title=_("Someone asked where a woman is: inquiries per month and channel"),
                 row_header=_("Month"), row_labels=[month_label(m) for m in period.months],
                 col_labels=labels_of(CHANNELS, CHANNEL_LABELS), counts=counts, row_totals=True)


def _build(gathered: Sequence[tuple[int, int, int, str, int]], centre_ids: Sequence[int],
           period: Period) -> list[Table]:
    return [inquiries_per_month(gathered, centre_ids, period)]


# The provider registered with ``app.reports`` (``cases.registry``): one read for every centre of a release.
sections = GroupedSection(_inquiry_counts, _build)
