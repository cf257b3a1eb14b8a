"""Helpers shared by the risk, safety-plan and support-plan tests (form posts, database reads, access sweep)."""

from __future__ import annotations

import html
import re
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from tests import factories

V1_KEYS = [
    "threats_to_kill", "strangulation", "weapon", "escalation", "recent_separation", "pregnancy_new_baby",
    "stalking", "threats_to_children", "substance_use", "prior_violence", "order_breach", "sexual_violence",
    "isolation", "jealousy_control", "suicide_threats", "financial_control", "pets_harmed", "injury", "fear",
    "her_wellbeing", "child_contact_conflict", "financial_problems", "criminal_history", "honour_pressure",
]


def answers(yes: int, keys: list[str] = V1_KEYS, unknown: int = 0) -> dict[str, str]:
    """The first ``yes`` indicators answered yes, the next ``unknown`` not known, the rest no."""
    out = {}
    for i, key in enumerate(keys):
        out[key] = "yes" if i < yes else ("unknown" if i < yes + unknown else "no")
    return out


def form_data(yes: int, keys: list[str] = V1_KEYS, **extra: Any) -> dict[str, str]:
    data = {f"q_{k}": v for k, v in answers(yes, keys).items()}
    data.update({k: v for k, v in extra.items() if v is not None})
    return data


def post(client: FlaskClient, url: str, data: dict[str, Any], form_url: str | None = None) -> Any:
    data = dict(data)
    data["csrf_token"] = factories.csrf_token(client, form_url or url)
    return client.post(url, data=data)


def case_risk_level(app: Flask, case_id: int) -> str | None:
    from app.db import db
    from cases.core.models import Case

    with app.app_context():
        case = db.session.get(Case, case_id)
        assert case is not None
        return case.risk_level.value if case.risk_level else None


def text_of(page_html: str) -> str:
    """Visible text, roughly (tags removed, whitespace collapsed)."""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page_html)))


def outsiders(app: Flask, make_user: Any, centre: Any) -> dict[str, factories.UserInfo]:
    """Everyone who must get a 404 on another counsellor's case."""
    other = factories.make_centre(app)
    return {
        "unassigned counsellor": make_user("counsellor"),
        "other-centre supervisor": factories.make_user(app, "supervisor", centre=other),
        "other-centre counsellor": factories.make_user(app, "counsellor", centre=other),
        "coordinator": make_user("coordinator"),
        "auditor": make_user("auditor"),
        "admin": make_user("admin"),
    }


def panel_text(page_html: str, heading_id: str) -> str:
    """The visible text of one dashboard panel (the <section> labelled by ``heading_id``)."""
    match = re.search(rf'<section[^>]*aria-labelledby="{heading_id}".*?</section>', page_html, re.S)
    assert match, f"panel {heading_id} not on the page"
    return text_of(match.group(0))


def prefer_english(monkeypatch: Any) -> None:
    """Every test client of the test asks for English pages (the app answers Turkish by default): the assertions
    read the English source strings."""
    from flask.testing import FlaskClient

    original = FlaskClient.__init__

    def init(self: FlaskClient, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        self.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"

    monkeypatch.setattr(FlaskClient, "__init__", init)
