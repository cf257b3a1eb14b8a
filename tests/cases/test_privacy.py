"""Her privacy at intake (issue 18 §5): the KVKK information notice before anything is recorded, explicit consents
with who recorded them and how, each revocable; the notice is printable."""

from __future__ import annotations

import re

import sqlalchemy as sa

from tests import factories
from tests.cases.core_helpers import post, post_intake
from tests.cases.test_lifecycle import _client


def _cases(app) -> int:  # type: ignore[no-untyped-def]
    from app.db import db
    from cases.core.models import Case

    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(Case)) or 0


def test_intake_needs_the_notice_and_records_consents_that_can_be_withdrawn(app, make_user) -> None:  # type: ignore[no-untyped-def]
    counsellor = make_user("counsellor", name="Derya Danışman")
    c = _client(app, counsellor)
    html = factories.page(c, "/cases/new").get_data(as_text=True)
    assert "KVKK information notice" in html and 'href="/cases/privacy-notice"' in html
    r = post_intake(c, notice_given="")
    assert r.status_code == 422 and "Give her the information notice first" in r.get_data(as_text=True)
    assert _cases(app) == 0  # nothing was recorded
    assert post_intake(c, notice_method="email").status_code == 422
    r = post_intake(c, notice_method="read-aloud", consent_purposes=["special-data", "statistics"],
                    consent_method="verbal")
    assert r.status_code == 302
    case_url = r.headers["Location"]
    html = factories.page(c, case_url + "/sections/privacy").get_data(as_text=True)
    section = html.split('id="privacy"')[1].split("</section>")[0]
    assert "It was read aloud to her" in section and "Derya Danışman" in section
    assert section.count("Verbally") == 2 and "statistics" in section
    revoke = re.search(r'action="(/cases/[0-9a-f-]+/privacy/[0-9a-f-]+/revoke)"', section)
    assert revoke
    assert post(c, revoke.group(1), {}, token_url=case_url).status_code == 302
    html = factories.page(c, case_url + "/sections/privacy").get_data(as_text=True)
    section = html.split('id="privacy"')[1].split("</section>")[0]
    assert "withdrawn on" in section and section.count("Withdraw</button>") == 1
    r = post(c, revoke.group(1), {}, token_url=case_url)  # again: refused, said plainly
    assert r.status_code == 302
    assert "already withdrawn" in factories.page(c, case_url + "/sections/privacy").get_data(as_text=True)
    outsider = make_user("counsellor")
    other = _client(app, outsider)
    assert post(other, revoke.group(1), {}, token_url="/cases/").status_code == 404
    from app.audit import AuditEvent
    from app.db import db

    with app.app_context():
        actions = set(db.session.scalars(sa.select(AuditEvent.action).where(AuditEvent.action.like("case.%"))))
    assert {"case.privacy-notice", "case.explicit-consent", "case.explicit-consent-revoked"} <= actions


def test_a_case_without_a_notice_is_flagged_and_takes_no_consent_before_it(app, make_user, make_case) -> None:  # type: ignore[no-untyped-def]
    counsellor = make_user("counsellor")
    case = make_case(counsellor)  # opened without the intake form
    c = _client(app, counsellor)
    html = factories.page(c, f"/cases/{case.public_id}/sections/privacy").get_data(as_text=True)
    assert "No information notice is on record" in html
    url = f"/cases/{case.public_id}/privacy"
    factories.page(c, url)
    r = post(c, url, {"consent_purposes": ["follow-up"], "consent_method": "written", "notice_method": "printed"},
             token_url=url)
    assert r.status_code == 422 and "information notice first" in r.get_data(as_text=True)
    data = {"notice_given": "y", "notice_method": "interpreter", "consent_purposes": ["follow-up"],
            "consent_method": "written"}
    assert post(c, url, data, token_url=url).status_code == 302
    html = factories.page(c, f"/cases/{case.public_id}/sections/privacy").get_data(as_text=True)
    assert "No information notice is on record" not in html and "through an interpreter" in html
    assert "contact her after her file is closed" in html
    assert post(c, url, data, token_url=url).status_code == 302  # the same consent twice is one consent
    html = factories.page(c, f"/cases/{case.public_id}/sections/privacy").get_data(as_text=True)
    assert html.count("contact her after her file is closed") == 1
    assert _client(app, make_user("counsellor")).get(url).status_code == 404


def test_the_notice_prints_with_the_centres_name_in_turkish(app, make_user) -> None:  # type: ignore[no-untyped-def]
    counsellor = make_user("counsellor")
    c = _client(app, counsellor)
    html = factories.page(c, "/cases/privacy-notice", headers={"Accept-Language": "tr"}).get_data(as_text=True)
    assert "aydınlatma metni" in html.lower() and "Veri sorumlusu" in html and "data-print" in html
    assert _client(app, make_user("admin")).get("/cases/privacy-notice").status_code == 404
