"""A date typed by hand, day first, as people in Turkey write it — a drop-in for WTForms' ``DateField``.

The browser's date input follows the browser's locale, not the page's: on a Turkish page it showed mm/dd/yyyy, and
"15031990" typed for 15 March 1990 was saved as 1990-12-03 (issue 16). This field is a text input whose hint follows
the page's language (gg.aa.yyyy / dd.mm.yyyy) and which reads, day first: 15.03.1990, 15/03/1990, 15-03-1990,
15 03 1990, 15031990, 5.3.1990, and the ISO form 1990-03-15 (what scripts and older pages send). A two-digit year,
a month above 12 ("03/15/1990", written month first) or a day that does not exist (31.02.1990) is refused with a
message saying what to type — never guessed.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import Field
from wtforms.widgets import TextInput

_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_DAY_FIRST = re.compile(r"^(\d{1,2})[./\- ](\d{1,2})[./\- ](\d{2,4})$")
_PACKED = re.compile(r"^(\d{2})(\d{2})(\d{4})$")


class DateParseError(ValueError):
    pass


def parse_date(text: str) -> date:
    """The date ``text`` means, day first; DateParseError (with a message for the user) otherwise."""
    text = " ".join(text.split())
    if match := _ISO.match(text):
        year, month, day = (int(g) for g in match.groups())
    elif match := _DAY_FIRST.match(text) or _PACKED.match(text):
        day, month = int(match.group(1)), int(match.group(2))
        if len(match.group(3)) != 4:
            raise DateParseError(_l("Write the year with four digits, e.g. 15.03.1990."))
        year = int(match.group(3))
    else:
        raise DateParseError(_l("Enter the date as day, month and year, e.g. 15.03.1990."))
    if not 1 <= month <= 12:
        raise DateParseError(_l("There is no month %(month)d: write the day first, then the month, e.g. 15.03.1990.",
                                month=month))
    try:
        return date(year, month, day)
    except ValueError:
        raise DateParseError(_l("That day does not exist in that month. Check the date.")) from None


def format_date(value: date) -> str:
    return f"{value.day:02d}.{value.month:02d}.{value.year:04d}"


class LocalDateField(Field):
    """Day-first typed date (see the module docstring); ``data`` is a ``datetime.date`` or None."""

    widget = TextInput()
    data: Any  # a date once validated (as WTForms' DateField: views read it after validate_on_submit)

    def __init__(self, label: Any = None, validators: Any = None, format: Any = None, **kwargs: Any) -> None:
        render_kw = dict(kwargs.pop("render_kw", None) or {})
        render_kw.setdefault("inputmode", "numeric")
        render_kw.setdefault("autocomplete", "off")
        render_kw.setdefault("size", 10)
        for attribute in ("min", "max", "type"):  # a date input's attributes mean nothing on a text input
            render_kw.pop(attribute, None)
        super().__init__(label, validators, render_kw=render_kw, **kwargs)

    def __call__(self, **kwargs: Any) -> Any:
        # The hint follows the page's language: "gg.aa.yyyy" on a Turkish page, "dd.mm.yyyy" on an English one.
        kwargs.setdefault("placeholder", str(_l("dd.mm.yyyy")))
        return super().__call__(**kwargs)

    def _value(self) -> str:
        if self.raw_data:
            return " ".join(self.raw_data)
        return format_date(self.data) if isinstance(self.data, date) else ""

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist:
            return
        text = str(valuelist[0]).strip()
        if not text:
            self.data = None
            return
        try:
            self.data = parse_date(text)
        except DateParseError as exc:
            self.data = None
            raise ValueError(exc.args[0]) from None
