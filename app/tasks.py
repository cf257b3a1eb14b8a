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


def register_task_provider(app: App, provider: TaskProvider, kinds: Mapping[str, object]) -> None:
    app.extensions.setdefault(PROVIDERS_KEY, []).append(provider)
    app.extensions.setdefault(KINDS_KEY, {}).update(kinds)


def task_kinds() -> dict[str, object]:
    return dict(current_app.extensions.get(KINDS_KEY, {}))


def collect_tasks(user: Any, today: date) -> list[Task]:
    """Every provider's tasks for ``user``: overdue first, then by due date (undated last), then by subject."""
    found: list[Task] = []
    for provider in current_app.extensions.get(PROVIDERS_KEY, []):
        found.extend(provider(user, today))
    return sorted(found, key=lambda t: (not t.overdue, t.due_on is None, t.due_on or date.max, t.subject, t.kind))
