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
database query; the audit event is written once per window, not per request. On Redis a read or search is counted in
one round trip (``_SPEND_LUA``: every counter of the budget in one Lua call, with the same keys, expiries and
order as the step-by-step counting other storages get); only a refusal costs a second (its ``Retry-After``).
The app's case list is not counted: paging through it is what an honest day does, and its pages are audited with
the case numbers shown.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import abort, current_app, render_template
from flask_login import current_user
from limits import RateLimitItem, parse, parse_many
from limits.errors import StorageError
from limits.storage import RedisClusterStorage, RedisStorage

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
    who = str(current_user.id)
    config = current_app.config
    hard = _parsed(config[budget.limit_key])
    burst = _parsed(config[budget.flag_key])
    refused, flagged = _count(budget, who, hard, burst, item)
    if refused is not None:
        _flag(budget, "limit", who)
        reset_at = limiter.limiter.get_window_stats(refused, budget.name, who).reset_time
        _refuse(max(1, math.ceil(reset_at - time.time())))
    if flagged:
        _flag(budget, "burst", who)


_PARSED: dict[str, tuple[RateLimitItem, ...]] = {}


def _parsed(rates: str) -> tuple[RateLimitItem, ...]:
    """``parse_many``, once per configured string (it is re-read from the config on every request)."""
    items = _PARSED.get(rates)
    if items is None:
        items = _PARSED[rates] = tuple(parse_many(rates))
    return items


# One round trip for a whole budget: the hard limits in order (stop at the first one past its amount, as step-by-step
# hits would), then the item's "seen this hour" key (already seen: nothing more is counted), then the burst counters
# (stop at the first past its amount). Each counter is limits' fixed window: INCRBY, and EXPIRE when it was created.
# KEYS: the counters in that order. ARGV: the number of hard limits, 1 when KEYS has a "seen" key, then for each key
# its expiry (s) and amount. Returns {outcome, index}: 0 = refused by hard limit ``index`` (1-based), 1 = the item was
# seen this hour, 2 = burst limit ``index`` passed, 3 = counted within every limit.
_SPEND_LUA = """
local n_hard = tonumber(ARGV[1])
local has_item = ARGV[2] == "1"
local function within(i)
    local current = redis.call("incrby", KEYS[i], 1)
    if current == 1 then
        redis.call("expire", KEYS[i], ARGV[1 + 2 * i])
    end
    return current <= tonumber(ARGV[2 + 2 * i])
end
for i = 1, n_hard do
    if not within(i) then
        return {0, i}
    end
end
local first = n_hard + 1
if has_item then
    if not within(first) then
        return {1, 0}
    end
    first = first + 1
end
for i = first, #KEYS do
    if not within(i) then
        return {2, i - first + 1}
    end
end
return {3, 0}
"""


def _count(budget: Budget, who: str, hard: tuple[RateLimitItem, ...], burst: tuple[RateLimitItem, ...],
           item: str | None) -> tuple[RateLimitItem | None, bool]:
    """Count one spend: (the hard limit that refuses it or None, whether a burst limit was passed)."""
    strategy = limiter.limiter
    storage = strategy.storage
    if isinstance(storage, RedisStorage) and not isinstance(storage, RedisClusterStorage):
        counters = [(limit, limit.key_for(budget.name, who)) for limit in hard]
        if item is not None:
            counters.append((_ONCE, _ONCE.key_for(budget.name + "-seen", who, item)))
        counters += [(limit, limit.key_for(budget.name + "-burst", who)) for limit in burst]
        args: list[int | str] = [len(hard), 1 if item is not None else 0]
        for limit, _key in counters:
            args += [limit.get_expiry(), limit.amount]
        try:
            outcome, index = _script(storage)([storage.prefixed_key(key) for _limit, key in counters], args)
        except storage.base_exceptions as exc:
            if storage.wrap_exceptions:
                raise StorageError(exc) from exc
            raise
        return (hard[int(index) - 1] if int(outcome) == 0 else None), int(outcome) == 2
    for limit in hard:  # other storages (memory:// in development and tests): the same counts, one hit at a time
        if not strategy.hit(limit, budget.name, who):
            return limit, False
    if item is not None and not strategy.hit(_ONCE, budget.name + "-seen", who, item):
        return None, False  # the same file again within the hour: not a new one for the burst count
    return None, any(not strategy.hit(limit, budget.name + "-burst", who) for limit in burst)


_SCRIPTS: dict[int, Any] = {}


def _script(storage: RedisStorage) -> Any:
    """The registered spend script of this storage's connection (EVALSHA, loaded again by redis-py if flushed)."""
    script = _SCRIPTS.get(id(storage))
    if script is None or script.registered_client is not storage.get_connection():
        script = _SCRIPTS[id(storage)] = storage.get_connection().register_script(_SPEND_LUA.encode())
    return script


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
