"""The audit log at an office screen's width (issue 16 §4): at 1366 px, in Turkish, the table fits without scrolling
sideways, every time stamp is on one line, and the actions read as words (the code only in the tooltip)."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import sign_in

pytestmark = pytest.mark.e2e

ACTIONS = ("case.view", "data.shelter_bed_assignments.update", "case.break-glass", "auth.login",
           "data.support_plan_reviews.create", "case.referral-override", "shelter.extension-request")


def test_audit_log_fits_1366_px_with_timestamps_on_one_line(app, live_server, browser, make_user) -> None:  # type: ignore[no-untyped-def]
    from app import audit
    from app.db import db

    auditor = make_user("auditor")
    actor = audit.Actor("11111111-1111-4111-8111-111111111111",
                        "sevgi.karadeniz-oztoprak.danismanlik@kadikoy-belediyesi.example.org", "coordinator", "KDK")
    with app.app_context():
        for n, action in enumerate(ACTIONS * 3):
            audit.record(action, actor=actor, object_type="shelter_bed_assignments",
                         object_id="5a1f3c9e-7d2b-4e8a-9c61-0f3b2a4d5e6f", case_number=f"KDK-2026-{n:04d}",
                         outcome=audit.Outcome.DENIED if n % 4 == 0 else audit.Outcome.SUCCESS,
                         reason="not in case" if n % 4 == 0 else None)
        db.session.commit()
    context = browser.new_context(locale="tr-TR", viewport={"width": 1366, "height": 768})
    page = context.new_page()
    try:
        sign_in(page, live_server, app, auditor)
        page.goto(f"{live_server}/audit/")
        wrap = page.locator(".table-wrap")
        sizes = wrap.evaluate("el => [el.scrollWidth, el.clientWidth, document.documentElement.scrollWidth]")
        assert sizes[0] <= sizes[1] and sizes[2] <= 1366, sizes
        lines = page.locator(".audit-table__time time").evaluate_all(
            "els => els.map(el => el.getClientRects().length)")
        assert len(lines) >= 20 and set(lines) == {1}, lines
        text = page.locator(".audit-table tbody").inner_text()
        assert "Değiştirildi: yatak ataması" in text and "Dosya görüntülendi" in text
        assert "Dayanışma evi koordinatörü" in text and "coordinator" not in text
        assert "data.shelter_bed_assignments.update" not in text and "Reddedildi" in text
        assert "Bu dosyanın parçası değil" in text
    finally:
        context.close()
