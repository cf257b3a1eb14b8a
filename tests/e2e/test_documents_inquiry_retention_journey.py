"""A real Chromium (issue 17): a counsellor uploads a court decision and downloads it back byte for byte; a
supervisor records an inquiry about a known woman from the navigation and lands on her flagged case; the admin
changes the retention schedule and asks for a dry run that lists the case that would go."""

from __future__ import annotations

import pytest

from tests.cases.test_documents import pdf_bytes
from tests.cases.test_retention import _close
from tests.e2e.conftest import open_section
from tests.e2e.test_safety_plan_journey import _sign_in

pytestmark = pytest.mark.e2e


def test_upload_and_download_a_document(app, live_server, context, make_user, make_case, tmp_path) -> None:  # type: ignore[no-untyped-def]
    counsellor = make_user("counsellor", name="Derya Şahin")
    case = make_case(counsellor, applicant_name="Gülay Öztürk")
    data = pdf_bytes(150 * 1024)
    me = _sign_in(app, live_server, context, counsellor)
    me.goto(f"{live_server}/cases/{case.public_id}")
    open_section(me, "documents-card")
    me.locator("#documents-card").get_by_role("link").click()
    me.wait_for_url(f"{live_server}/cases/{case.public_id}/documents")
    me.get_by_label("What is it?").select_option("court-decision")
    me.get_by_label("File").set_input_files(files=[{"name": "koruma-karari.pdf", "mimeType": "application/pdf",
                                                     "buffer": data}])
    me.get_by_role("button", name="Store the document").click()
    me.wait_for_url(f"{live_server}/cases/{case.public_id}/documents*")
    row = me.locator("#documents tbody tr").first
    assert "koruma-karari.pdf" in row.inner_text() and "Court decision" in row.inner_text()
    with me.expect_download() as info:
        row.get_by_role("link", name="koruma-karari.pdf", exact=True).click()
    target = tmp_path / "downloaded.pdf"
    info.value.save_as(target)
    assert target.read_bytes() == data


def test_inquiry_linked_to_a_case_flags_it(app, live_server, context, make_user, make_case) -> None:  # type: ignore[no-untyped-def]
    counsellor = make_user("counsellor")
    case = make_case(counsellor, applicant_name="Sevgi Arslan")
    supervisor = make_user("supervisor", name="Nurcan İpekçi")
    me = _sign_in(app, live_server, context, supervisor)
    me.locator("#nav-inquiry").click()
    me.wait_for_url(f"{live_server}/cases/inquiries/new")
    assert "Neither confirm nor deny" in me.locator("#standard-answer").inner_text()
    me.get_by_label("Phone call").check()
    me.get_by_label("Who they said they were").fill("Eşiyim dedi")
    me.get_by_label("What they asked").fill("Sevgi orada mı diye sordu")
    me.get_by_label("About whom (case number or her name, optional)").fill(case.number)
    me.get_by_role("button", name="Record the inquiry").click()
    me.wait_for_url(f"{live_server}/cases/{case.public_id}")
    assert "Someone asked where she is" in me.locator("#inquiry-banner").inner_text()


def test_admin_edits_the_schedule_and_runs_a_dry_run(app, live_server, context, make_user, make_case) -> None:  # type: ignore[no-untyped-def]
    counsellor = make_user("counsellor")
    case = make_case(counsellor, applicant_name="Eski Dosya Hülya")
    _close(app, case, days_ago=500, counsellor=counsellor)
    me = _sign_in(app, live_server, context, make_user("admin"))
    panel = me.locator("#panel-retention")
    assert "Retention has never run" in panel.inner_text()
    panel.get_by_role("link", name="Retention schedule").click()
    me.wait_for_url(f"{live_server}/cases/retention")
    me.get_by_label("Closed cases: days after closing").fill("400")
    me.get_by_role("button", name="Save the schedule").click()
    me.wait_for_url(f"{live_server}/cases/retention")
    assert "Retention schedule saved (1 changed)" in me.content()
    me.get_by_role("button", name="Show what would go today").click()
    me.wait_for_url(f"{live_server}/cases/retention/dry-run")
    assert "Nothing was destroyed" in me.content() and case.number in me.content()
    assert "Eski Dosya" not in me.content()


def test_supervisor_opens_her_kvkk_report_from_the_case(app, live_server, context, make_user, make_case) -> None:  # type: ignore[no-untyped-def]
    counsellor = make_user("counsellor")
    case = make_case(counsellor, applicant_name="Bilgi İsteyen Meltem", narrative="Öyküsü KVKK-TARAYICI")
    me = _sign_in(app, live_server, context, make_user("supervisor"))
    me.goto(f"{live_server}/cases/{case.public_id}")
    me.get_by_role("link", name="What the centre holds about her (KVKK art. 11)").click()
    me.wait_for_url(f"{live_server}/cases/{case.public_id}/kvkk-report")
    text = me.locator("main").inner_text()
    assert "Bilgi İsteyen Meltem" in text and "KVKK-TARAYICI" in text and case.number in text
    assert "Who accessed her files" in text
