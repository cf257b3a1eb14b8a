"""Lookups several parts of one page need, run once per request (issue 20).

The dashboard's panels and its task count ask the same questions (which assessments are due, which orders end soon,
which shelters she sees); each answer is computed once and shared through ``flask.g`` for the rest of the request.
Nothing outlives the request: ``g`` is dropped with its application context, so no answer (and nothing decrypted)
is shared between requests or users. Only read-only lookups of a page belong here, never a value a write in the
same request could make stale before it is read again.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import TypeVar, cast

from flask import g, has_request_context

T = TypeVar("T")

_MEMO = "_dayanisma_once_per_request"


def once_per_request(key: Hashable, compute: Callable[[], T]) -> T:
    """``compute()``, run once per request for ``key`` (which must name everything the answer depends on: the user,
    the day, the question). Outside a request (CLI, tasks), computed every time."""
    if not has_request_context():
        return compute()
    memo: dict[Hashable, object] = g.setdefault(_MEMO, {})
    if key not in memo:
        memo[key] = compute()
    return cast(T, memo[key])
