"""Issue 21 in a real Chromium, in Turkish: a counsellor whose browser asks for Turkish signs in, records an intake
and answers the equality questions with her (disability categories, an adaptation, migration status under law 6458,
gender identity in her own words, the sex of the person using violence). A contradictory answer comes back with a
Turkish message and nothing she typed is lost; the case page shows the answers in Turkish; the database holds them
encrypted, with only the coarse copies the statistics count."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from tests.factories import fresh_code

pytestmark = pytest.mark.e2e

OWN_WORDS = "Kuir kadın, kendi sözleriyle"


def _sign_in_in_turkish(app, page, live_server, user) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server}/login")
    page.get_by_label("E-posta").fill(user.email)
    page.get_by_label("Parola").fill(user.password)
    page.get_by_role("button", name="Devam et").click()
    page.wait_for_url(re.compile(r"/login/code$"))
    page.get_by_label(re.compile("doğrulama uygulama", re.I)).fill(fresh_code(app, user))
    page.get_by_role("button", name=re.compile("^Giriş yap$")).click()
    page.wait_for_url(f"{live_server}/")


def _stored(app, case_id: str) -> dict:  # type: ignore[type-arg, no-untyped-def]
    import uuid

    from app.db import db
    from cases.core.models import Case, Person, PersonKind

    with app.app_context():
        case = db.session.scalar(sa.select(Case).where(Case.public_id == uuid.UUID(case_id)))
        raw = db.session.execute(sa.select(Person.disability_types_ct, Person.migration_status_ct,
                                           Person.gender_identity_ct, Person.gender_identity_text_ct)
                                 .where(Person.case_id == case.id, Person.kind == PersonKind.APPLICANT)).one()
        perpetrator = next(p for p in case.people if p.kind == PersonKind.PERPETRATOR)
        return {"copies": (case.applicant_disability, case.applicant_migration_status,
                           case.applicant_gender_identity),
                "raw": b"".join(bytes(v) for v in raw if v is not None),
                "answers": (case.applicant.disability_types, case.applicant.adaptation_needs,
                            case.applicant.migration_status, case.applicant.gender_identity,
                            case.applicant.gender_identity_text),
                "perpetrator_sex": perpetrator.stated_sex}


def test_turkish_intake_with_the_equality_questions(app, live_server, browser, make_user) -> None:  # type: ignore[no-untyped-def]
    user = make_user("counsellor", name="Gönül Akın")
    context = browser.new_context(locale="tr-TR")
    try:
        page = context.new_page()
        _sign_in_in_turkish(app, page, live_server, user)
        page.get_by_role("link", name="Yeni başvuru").first.click()
        page.wait_for_url(re.compile(r"/cases/new$"))
        assert page.locator("html").get_attribute("lang") == "tr"

        page.get_by_label("Merkeze nasıl ulaştı?").select_option("walk-in")
        page.get_by_label("Fiziksel", exact=True).check()
        page.get_by_label("Ne yaşadı (kendi sözleriyle)").fill("Kayınvalidesi ve eşi onu evde tutuyor.")
        page.get_by_label("Ad soyad", exact=True).fill("Rojda Aslan")
        page.get_by_label("Telefon", exact=True).fill("0532 765 43 21")

        equality = page.locator("#equality")
        assert "Eşitlik raporu için" in equality.inner_text()
        disability = page.get_by_role("group", name="Engellilik durumu")
        disability.get_by_label("Engeli yok", exact=True).check()
        disability.get_by_label("Görme engeli", exact=True).check()  # contradicts "Engeli yok"
        page.get_by_role("group", name=re.compile("çalışma biçimini uyarlaması")) \
            .get_by_label("İşaret dili tercümanı").check()
        page.get_by_label("Göç statüsü").select_option(label="Geçici koruma")
        page.get_by_label("Cinsiyet kimliği", exact=True).select_option(label="Kendi ifadesiyle")
        page.get_by_label("Kendi ifadesiyle cinsiyet kimliği").fill(OWN_WORDS)
        page.get_by_label("Şiddet uygulayan kişinin adı").fill("Hatice Aslan")
        page.get_by_label("Şiddet uygulayan kişinin cinsiyeti").select_option(label="Kadın")
        page.get_by_label("Başvurucuyla yakınlığı", exact=True).select_option(label="Diğer aile üyesi")
        page.get_by_label("Kendisine KVKK aydınlatma metni verildi").check()  # required before a case opens (issue 18)
        page.get_by_role("button", name="Kontrol et ve devam et").click()

        # Refused with a Turkish message next to the question; everything typed is still there.
        page.wait_for_selector(".error-summary")
        assert re.search(r"/cases/new$", page.url)
        assert "“Engeli yok” başka yanıtlarla birlikte seçilemez." in page.locator(".error-summary").inner_text()
        assert page.get_by_label("Ad soyad", exact=True).input_value() == "Rojda Aslan"
        assert page.get_by_label("Kendi ifadesiyle cinsiyet kimliği").input_value() == OWN_WORDS
        assert page.get_by_label("Göç statüsü").input_value() == "temporary-protection"
        disability = page.get_by_role("group", name="Engellilik durumu")
        assert disability.get_by_label("Görme engeli", exact=True).is_checked()

        disability.get_by_label("Engeli yok", exact=True).uncheck()
        disability.get_by_label("İşitme engeli", exact=True).check()
        page.get_by_role("button", name="Kontrol et ve devam et").click()
        page.wait_for_url(re.compile(r"/cases/[0-9a-f-]{36}$"))

        applicant = page.locator("section[aria-labelledby=applicant-title]")
        text = applicant.inner_text()
        for expected in ("Engellilik durumu", "Görme engeli, İşitme engeli", "Merkezin yaptığı uyarlamalar",
                         "İşaret dili tercümanı", "Göç statüsü", "Geçici koruma", "Cinsiyet kimliği", OWN_WORDS):
            assert expected in text, expected
        perpetrator = page.locator("section[aria-labelledby=perpetrator-title]").inner_text()
        assert "Hatice Aslan" in perpetrator and "Cinsiyeti" in perpetrator and "Kadın" in perpetrator
        assert "His " not in page.content() and "Onun adı" not in perpetrator
        case_id = page.url.rsplit("/", 1)[1]
    finally:
        context.close()

    stored = _stored(app, case_id)
    assert stored["copies"] == ("multiple", "temporary-protection", "self-described")
    assert stored["answers"] == (["visual", "hearing"], ["sign-language"], "temporary-protection",
                                 "self-described", OWN_WORDS)
    assert stored["perpetrator_sex"] == "woman"
    for plain in (OWN_WORDS.encode(), b"temporary-protection", b"visual", b"self-described"):
        assert plain not in stored["raw"], plain  # encrypted at rest
