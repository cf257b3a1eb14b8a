"""Auditor pages: search the access log, export it as CSV, verify its hash chain.

Only ``auditor`` reaches these views (``access.roles``; anyone else gets an audited 404). The pages read
``audit_events`` alone and never join case tables: an audit row holds case *numbers* and public ids, never names or
case content (DESIGN.md §1), so an auditor sees who looked at what without seeing what was looked at.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import Blueprint, Response, current_app, render_template, request, stream_with_context, url_for
from flask_babel import format_date, format_time
from flask_babel import gettext as _

from app import access, audit, audit_labels
from app.audit import AuditEvent, AuditHead, Outcome
from app.audit_forms import AnchorForm, AuditFilterForm
from app.auth import stepup
from app.db import db
from app.users.models import Role

bp = Blueprint("audit", __name__, url_prefix="/audit")

PAGE_SIZE = 50
EXPORT_CAP = 100_000
EXPORT_BATCH = 1_000
MAX_SEQ = 2**63 - 1  # BIGINT: a larger cursor from the query string must not reach the database
ACTION_CHOICES_LIMIT = 500

# The columns shown and exported, in order. No join: these are the audit row's own columns.
COLUMNS = (
    AuditEvent.seq,
    AuditEvent.occurred_at,
    AuditEvent.actor_email,
    AuditEvent.actor_role,
    AuditEvent.centre_code,
    AuditEvent.action,
    AuditEvent.object_type,
    AuditEvent.object_id,
    AuditEvent.case_number,
    AuditEvent.ip,
    AuditEvent.outcome,
    AuditEvent.reason,
)


def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE", "Europe/Istanbul"))


def _local_midnight_utc(day: date) -> datetime:
    """Midnight at the start of ``day`` in Istanbul, as an aware datetime (UTCDateTime converts it)."""
    return datetime.combine(day, time.min, tzinfo=_zone())


def _filtered(form: AuditFilterForm) -> list[sa.ColumnElement[bool]]:
    """WHERE clauses for a validated form. Prefix matches escape LIKE wildcards (``_`` is common in emails)."""
    where: list[sa.ColumnElement[bool]] = []
    if form.user.data:
        where.append(AuditEvent.actor_email.startswith(form.user.data.lower(), autoescape=True))
    if form.action.data:
        where.append(AuditEvent.action.startswith(form.action.data, autoescape=True))
    if form.case_number.data:
        where.append(AuditEvent.case_number == form.case_number.data.upper())
    if form.date_from.data:
        where.append(AuditEvent.occurred_at >= _local_midnight_utc(form.date_from.data))
    if form.date_to.data:
        # Inclusive: everything before the next local midnight.
        where.append(AuditEvent.occurred_at < _local_midnight_utc(form.date_to.data + timedelta(days=1)))
    if form.outcome.data:
        where.append(AuditEvent.outcome == form.outcome.data)
    return where


def _cursor(name: str) -> int | None:
    value = request.args.get(name, type=int)
    if value is None or not 0 < value <= MAX_SEQ:
        return None
    return value


def _form() -> AuditFilterForm:
    return AuditFilterForm(request.args, meta={"csrf": False})


def _known_actions() -> list[str]:
    return list(
        db.session.scalars(
            sa.select(AuditEvent.action).distinct().order_by(AuditEvent.action).limit(ACTION_CHOICES_LIMIT)
        )
    )


@dataclass(frozen=True)
class EventRow:
    """One event as the page shows it (local time, short object id, highlight flags)."""

    seq: int
    occurred_at: datetime
    actor_email: str | None
    actor_role: str | None
    centre_code: str | None
    action: str
    object_type: str | None
    object_id: str | None
    case_number: str | None
    ip: str | None
    outcome: str
    reason: str | None

    @property
    def local_time(self) -> str:
        """The day as every page writes it (Babel, long) and the time to the second, in Istanbul."""
        local = self.occurred_at.astimezone(_zone())
        return f"{format_date(local.date(), 'long')} {format_time(local.time(), 'HH:mm:ss')}"

    @property
    def action_label(self) -> str:
        return audit_labels.action_label(self.action)

    @property
    def role_label(self) -> str:
        return audit_labels.role_label(self.actor_role) if self.actor_role else ""

    @property
    def object_label(self) -> str:
        return audit_labels.object_label(self.object_type)

    @property
    def reason_label(self) -> str:
        return audit_labels.reason_label(self.reason)

    @property
    def short_object_id(self) -> str | None:
        if self.object_id and len(self.object_id) > 8:
            return self.object_id[:8] + "…"
        return self.object_id

    @property
    def is_break_glass(self) -> bool:
        """Exceptional access to highlight: break-glass reads and emergency overrides of consent."""
        return audit.is_highlighted(self.action)

    @property
    def is_problem(self) -> bool:
        return self.outcome != Outcome.SUCCESS


@bp.app_template_global("audit_action_label")
def audit_action_label(code: str) -> str:
    return audit_labels.action_label(code)


def _invalid(form: AuditFilterForm) -> tuple[str, int]:
    return render_template("audit/list.html", form=form, actions=_known_actions(), events=[], newer=None,
                           older=None, newest=None, export_url=None, export_cap=EXPORT_CAP), 422


@bp.get("/")
@access.roles(Role.AUDITOR)
def list_events():  # type: ignore[no-untyped-def]
    form = _form()
    if not form.validate():
        return _invalid(form)
    where = _filtered(form)
    before, after = _cursor("before"), _cursor("after")
    query = sa.select(*COLUMNS).where(*where)
    if after is not None:
        # A page of newer events: read upwards from the cursor, show newest first.
        rows = db.session.execute(
            query.where(AuditEvent.seq > after).order_by(AuditEvent.seq.asc()).limit(PAGE_SIZE + 1)
        ).all()
        has_newer = len(rows) > PAGE_SIZE
        rows = list(reversed(rows[:PAGE_SIZE]))
        has_older = True
    else:
        if before is not None:
            query = query.where(AuditEvent.seq < before)
        rows = db.session.execute(query.order_by(AuditEvent.seq.desc()).limit(PAGE_SIZE + 1)).all()
        has_older = len(rows) > PAGE_SIZE
        rows = rows[:PAGE_SIZE]
        has_newer = before is not None
    events = [EventRow(*row) for row in rows]
    filters: dict[str, Any] = dict(form.filters())
    # Who searched the log for what is itself on record (auditors are audited too).
    audit.record("audit.search", details={"filters": filters} if filters else None)
    db.session.commit()
    newer = url_for("audit.list_events", **filters, after=events[0].seq) if events and has_newer else None
    older = url_for("audit.list_events", **filters, before=events[-1].seq) if events and has_older else None
    return render_template(
        "audit/list.html",
        form=form,
        actions=_known_actions(),
        events=events,
        newer=newer,
        older=older,
        newest=url_for("audit.list_events", **filters) if (before or after) else None,
        export_url=url_for("audit.export_events", **filters),
        export_cap=EXPORT_CAP,
    )


# --- CSV export ----------------------------------------------------------------------------------------------

# A spreadsheet treats a cell starting with one of these as a formula (OWASP "CSV injection").
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def neutralise_cell(value: Any) -> str:
    """The cell as text, prefixed with ``'`` when a spreadsheet could read it as a formula."""
    if value is None:
        return ""
    text = str(value)
    # SECURITY: also after leading whitespace (" =cmd|..." is still a formula in some spreadsheets).
    if text.startswith(_FORMULA_STARTS) or text.lstrip().startswith(_FORMULA_STARTS):
        return "'" + text
    return text


def _csv_header() -> list[str]:
    return [
        _("Sequence"), _("Time (Europe/Istanbul)"), _("Time (UTC)"), _("User email"), _("Role"), _("Centre"),
        _("Action"), _("Object type"), _("Object id"), _("Case number"), _("IP address"), _("Outcome"), _("Reason"),
    ]


def _csv_line(cells: list[Any]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow([neutralise_cell(c) for c in cells])
    return buffer.getvalue()


def _export_rows(where: list[sa.ColumnElement[bool]], up_to_seq: int, limit: int) -> Iterator[str]:
    """CSV lines for at most ``limit`` events with seq ≤ ``up_to_seq``, newest first, in keyset batches."""
    zone = _zone()
    cursor = up_to_seq + 1
    left = limit
    while left > 0:
        rows = db.session.execute(
            sa.select(*COLUMNS).where(*where, AuditEvent.seq < cursor)
            .order_by(AuditEvent.seq.desc()).limit(min(EXPORT_BATCH, left))
        ).all()
        if not rows:
            return
        chunk = io.StringIO()
        for row in rows:
            event = EventRow(*row)
            chunk.write(_csv_line([
                event.seq, event.occurred_at.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S"),
                event.occurred_at.isoformat(timespec="seconds"), event.actor_email, event.actor_role,
                event.centre_code, event.action, event.object_type, event.object_id, event.case_number,
                event.ip, event.outcome, event.reason,
            ]))
        yield chunk.getvalue()
        left -= len(rows)
        cursor = rows[-1].seq  # plain rows, not ORM objects: nothing accumulates in the session


@bp.get("/export.csv")
@access.roles(Role.AUDITOR)
@stepup.required
def export_events():  # type: ignore[no-untyped-def]
    form = _form()
    if not form.validate():
        return _invalid(form)
    where = _filtered(form)
    # The export covers the log as it stands now: later events (this export's own record included) are left out,
    # so the row count on record is exactly what the file holds.
    up_to_seq = db.session.scalar(sa.select(AuditHead.seq).where(AuditHead.id == 1)) or 0
    matching = sa.select(AuditEvent.id).where(*where, AuditEvent.seq <= up_to_seq).limit(EXPORT_CAP).subquery()
    rows = db.session.scalar(sa.select(sa.func.count()).select_from(matching)) or 0
    # SECURITY: the export is on record (committed) before any of its rows leave.
    audit.record("audit.export", object_type="audit_events",
                 details={"filters": form.filters(), "rows": rows, "capped": rows >= EXPORT_CAP})
    db.session.commit()

    # Built now: once streaming starts the request's session (and the signed-in user with it) may be gone.
    header = "\ufeff" + _csv_line(_csv_header())  # BOM: Excel reads UTF-8 (Turkish letters) only with it

    def generate() -> Iterator[bytes]:
        yield header.encode()
        for chunk in _export_rows(where, up_to_seq, rows):
            yield chunk.encode()

    filename = f"audit-{datetime.now(_zone()):%Y%m%d}.csv"
    return Response(
        stream_with_context(generate()),
        mimetype="text/csv",
        headers={"Content-Disposition": f"attachment; filename={filename}"},
    )


# --- chain verification --------------------------------------------------------------------------------------


@bp.get("/verify")
@access.roles(Role.AUDITOR)
def verify_log():  # type: ignore[no-untyped-def]
    """Check the chain, and optionally an anchor kept outside the database (``?anchor=SEQ:HASH``); show the current
    anchor for the auditor to keep. Only a chain that verified gets an anchor: a broken log is not worth anchoring."""
    form = AnchorForm(request.args, meta={"csrf": False})
    key = current_app.extensions["dayanisma.audit_keys"]
    anchored = form.validate() and isinstance(form.anchor.data, audit.Anchor)
    if form.errors:
        db.session.rollback()
        return render_template("audit/verify.html", form=form, broken=None, count=None, anchor=None,
                               anchored=False), 422
    head = audit.current_anchor(db.session())
    count = head.seq if head else 0
    broken = audit.verify_chain(db.session(), key)
    if broken is None and anchored:
        broken = audit.check_anchor(db.session(), form.anchor.data)
    details: dict[str, Any] = {"events": count, "intact": broken is None}
    if anchored:
        details["anchor_seq"] = form.anchor.data.seq
    if broken is None:
        audit.record("audit.verify", object_type="audit_events", details=details)
    else:
        details["seq"] = broken.seq
        audit.record("audit.verify", outcome=Outcome.FAILURE, object_type="audit_events",
                     object_id=broken.event_id, reason=broken.problem, details=details)
    db.session.commit()
    return render_template("audit/verify.html", form=form, broken=broken, count=count,
                           anchor=head if broken is None else None, anchored=anchored)
