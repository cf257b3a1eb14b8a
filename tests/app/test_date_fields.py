"""Dates typed by hand (issue 16 §2): day first, as people in Turkey write them; nothing ambiguous or impossible is
guessed. "15031990" was saved as 1990-12-03 by the browser's date input on a Turkish page."""

from __future__ import annotations

from datetime import date

import pytest
from flask import Flask
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict

from app.date_fields import DateParseError, LocalDateField, parse_date


@pytest.mark.parametrize("typed", ["15.03.1990", "15/03/1990", "15-03-1990", "15 03 1990", "15031990", "1990-03-15",
                                   " 15.3.1990 ", "15 . 03 . 1990".replace(" ", "")])
def test_day_first_forms_people_type(typed: str) -> None:
    assert parse_date(typed) == date(1990, 3, 15)


@pytest.mark.parametrize("typed", ["03/15/1990", "31.02.1990", "15.03.90", "1503199", "150319900", "15.03",
                                   "yesterday", "15..03.1990", "00.03.1990", "15.00.1990", "1990-02-30"])
def test_ambiguous_or_impossible_dates_are_refused(typed: str) -> None:
    with pytest.raises(DateParseError):
        parse_date(typed)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize(("locale", "hint"), [("tr", "gg.aa.yyyy"), ("en", "dd.mm.yyyy")])
def test_field_hint_follows_the_page_language_and_errors_say_what_to_type(app: Flask, locale: str, hint: str) -> None:
    class F(FlaskForm):
        born = LocalDateField("Born")

    with app.test_request_context(headers={"Accept-Language": locale}):
        html = str(F(meta={"csrf": False}, formdata=None, data={"born": date(1990, 3, 15)}).born())
        assert f'placeholder="{hint}"' in html and 'value="15.03.1990"' in html and 'type="text"' in html
    with app.test_request_context(method="POST", headers={"Accept-Language": locale}):
        form = F(meta={"csrf": False}, formdata=MultiDict({"born": "03/15/1990"}))
        assert not form.validate()
        assert "15.03.1990" in str(form.born.errors[0])
        assert 'value="03/15/1990"' in str(form.born())  # what she typed stays, to correct it
