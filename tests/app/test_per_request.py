"""``app.per_request.once_per_request``: one answer per key within a request, none shared between requests."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask

from app.per_request import once_per_request


def _counter() -> tuple[list[int], Callable[[], int]]:
    calls: list[int] = []

    def compute() -> int:
        calls.append(1)
        return len(calls)

    return calls, compute


def test_a_lookup_runs_once_per_key_within_a_request_and_again_in_the_next_request() -> None:
    flask_app = Flask(__name__)
    calls, compute = _counter()
    with flask_app.test_request_context("/"):
        assert once_per_request(("q", 1), compute) == 1
        assert once_per_request(("q", 1), compute) == 1
        assert once_per_request(("q", 2), compute) == 2
    assert len(calls) == 2
    with flask_app.test_request_context("/"):
        assert once_per_request(("q", 1), compute) == 3
    assert len(calls) == 3


def test_outside_a_request_the_lookup_runs_every_time() -> None:
    calls, compute = _counter()
    assert once_per_request("q", compute) == 1
    assert once_per_request("q", compute) == 2
    with Flask(__name__).app_context():  # an application context alone (a CLI command) is not a request
        assert once_per_request("q", compute) == 3
        assert once_per_request("q", compute) == 4
    assert len(calls) == 4
