"""What is due, in one list: the hook through which features add their tasks without ``app`` importing them.

A *task provider* is ``provider(user, today) -> Iterable[Task]``: it answers what the user (a counsellor: her cases;
a supervisor: her centre; a coordinator: her shelters) has to do, computed from what exists, so a task disappears by
itself once it is done. Providers register with ``register_task_provider(app, provider, kinds)``, ``kinds`` being the
translated labels of the task kinds they produce (the list page filters by kind). ``cases.tasks`` shows the list.

SECURITY (least data, DESIGN.md §3.6): a task carries a case number or a shelter's name, a category, a date and a
link — never a name or any decrypted value: the task list is not an audited case read.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import current_app
from flask.sansio.app import App

PROVIDERS_KEY = "dayanisma.task_providers"
KINDS_KEY = "dayanisma.task_kinds"
COUNTERS_KEY = "dayanisma.task_counters"


@dataclass(frozen=True)
class Task:
    kind: str  # a registered kind key
    subject: str  # a case number or a shelter's name
    url: str  # where it is done
    due_on: date | None = None
    overdue: bool = False
    case_public_id: uuid.UUID | None = None  # lets a supervisor filter by counsellor
    detail: str = ""  # a translated category (never free text)


TaskProvider = Callable[[Any, date], Iterable[Task]]
TaskCounter = Callable[[Any, date], "TaskCount"]


@dataclass(frozen=True)
class TaskCount:
    total: int
    overdue: int


def register_task_provider(app: App, provider: TaskProvider, kinds: Mapping[str, object],
                           counter: TaskCounter | None = None) -> None:
    """``counter(user, today)``, if given, must answer exactly what counting ``provider(user, today)`` would (the
    dashboard shows the counts; building every task, with its URL, just to count them is the page's largest cost)."""
    app.extensions.setdefault(PROVIDERS_KEY, []).append(provider)
    app.extensions.setdefault(KINDS_KEY, {}).update(kinds)
    if counter is not None:
        app.extensions.setdefault(COUNTERS_KEY, {})[provider] = counter


def task_kinds() -> dict[str, object]:
    return dict(current_app.extensions.get(KINDS_KEY, {}))


def count_tasks(user: Any, today: date) -> TaskCount:
    """How many tasks ``collect_tasks`` would list, and how many of them are overdue: each provider's counter where
    it registered one, otherwise its tasks counted."""
    counters = current_app.extensions.get(COUNTERS_KEY, {})
    total = overdue = 0
    for provider in current_app.extensions.get(PROVIDERS_KEY, []):
        if provider in counters:
            count = counters[provider](user, today)
            total, overdue = total + count.total, overdue + count.overdue
        else:
            tasks = list(provider(user, today))
            total, overdue = total + len(tasks), overdue + sum(1 for t in tasks if t.overdue)
    return TaskCount(total, overdue)


def collect_tasks(user: Any, today: date) -> list[Task]:
    """Every provider's tasks for ``user``: overdue first, then by due date (undated last), then by subject."""
    found: list[Task] = []
    for provider in current_app.extensions.get(PROVIDERS_KEY, []):
        found.extend(provider(user, today))
    return sorted(found, key=lambda t: (not t.overdue, t.due_on is None, t.due_on or date.max, t.subject, t.kind))
