"""Anti-automation beyond sign-in (issue 13): per-user budgets for reading case pages and for searching.

An insider who scripts through case pages or the search is slowed and flagged; an honest day never meets either:

* the **hard limit** (``CASE_READ_LIMIT``, ``CASE_SEARCH_LIMIT``; e.g. ``"300 per hour;1500 per day"``) counts every
  read or search of the user and, past it, answers 429 with ``Retry-After`` until the window turns;
* the **burst flag** (``CASE_READ_FLAG``, ``CASE_SEARCH_FLAG``; e.g. ``"100 per hour"``) counts *different* case
  files opened (reloading one file after a note is saved counts once an hour) and searches; past it the user is
  flagged, once a window: a highlighted audit event (``automation.<budget>-burst``) and the listeners that
  packages register (``cases`` alerts the supervisors of her centre). Reaching the hard limit is flagged the same way
  (``automation.<budget>-limit``).

Counters live in the rate limiter's storage (Redis in production, shared by every worker), so a read costs no
database query; the audit event is written once per window, not per request. The app's case list is not counted:
paging through it is what an honest day does, and its pages are audited with the case numbers shown.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import abort, current_app, render_template
from flask_login import current_user
from limits import parse, parse_many

from app import audit
from app.db import db
from app.extensions import limiter

_LISTENERS = "dayanisma.throttle_listeners"
_ONCE = parse("1 per hour")


@dataclass(frozen=True)
class Budget:
    name: str  # in counter keys and audit actions: "case-read", "case-search"
    limit_key: str
    flag_key: str


CASE_READS = Budget("case-read", "CASE_READ_LIMIT", "CASE_READ_FLAG")
CASE_SEARCHES = Budget("case-search", "CASE_SEARCH_LIMIT", "CASE_SEARCH_FLAG")

Listener = Callable[[Any, str], None]  # (user, audit action) → e.g. alert her supervisors


def register_listener(app: Any, listener: Listener) -> None:
    """``listener(user, action)`` runs once a window when a user is flagged, in the transaction of the flag."""
    app.extensions.setdefault(_LISTENERS, []).append(listener)


def spend(budget: Budget, *, item: str | None = None) -> None:
    """Count one read or search of the signed-in user; 429 past the hard limit; flag a burst once a window.

    ``item`` names what was read (a case id): the burst flag counts different items, the hard limit every request.
    """
    if not limiter.enabled or not current_user.is_authenticated:
        return
    strategy = limiter.limiter
    who = str(current_user.id)
    config = current_app.config
    for limit in parse_many(config[budget.limit_key]):
        if not strategy.hit(limit, budget.name, who):
            _flag(budget, "limit", who)
            reset_at = strategy.get_window_stats(limit, budget.name, who).reset_time
            _refuse(max(1, math.ceil(reset_at - time.time())))
    if item is not None and not strategy.hit(_ONCE, budget.name + "-seen", who, item):
        return  # the same file again within the hour: not a new one for the burst count
    for limit in parse_many(config[budget.flag_key]):
        if not strategy.hit(limit, budget.name + "-burst", who):
            _flag(budget, "burst", who)
            return


def _flag(budget: Budget, kind: str, who: str) -> None:
    if not limiter.limiter.hit(_ONCE, budget.name + "-flagged-" + kind, who):
        return  # already flagged in this window
    action = f"automation.{budget.name}-{kind}"
    # SECURITY: highlighted for the auditors (audit.HIGHLIGHTED_ACTIONS) and, through the listeners, the supervisors.
    audit.record(action, outcome=audit.Outcome.DENIED if kind == "limit" else audit.Outcome.SUCCESS,
                 details={"limit": current_app.config[budget.limit_key if kind == "limit" else budget.flag_key]})
    for listener in current_app.extensions.get(_LISTENERS, []):
        listener(current_user._get_current_object(), action)
    db.session.commit()  # on record even when the request then fails or is refused


def _refuse(retry_after: int) -> None:
    response = current_app.make_response((render_template("errors/429.html", automation=True), 429))
    response.headers["Retry-After"] = str(retry_after)
    abort(response)


__all__ = ["CASE_READS", "CASE_SEARCHES", "Budget", "register_listener", "spend"]
