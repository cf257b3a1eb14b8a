"""Numbers as the page's language writes them (issue 16 §4): "1.234" in Turkish, "1,234" in English, through Babel.

A count in a message is passed formatted, and the message takes it as ``%(n)s``: a ``%(n)d`` would print "1234" in
every language. In templates: ``_('Tasks: %(n)s', n=panel.total|number)``; with ``ngettext`` the plural form is
chosen by the number and ``num=`` gives the text: ``ngettext('%(num)s case', '%(num)s cases', count,
num=count|number)``. In Python: ``_("…%(n)s…", n=number(count))``, and ``lazy_number`` in a lazy message (a form's
description or error, formatted when shown, in the language of that request). Years, revision numbers and
ordinals ("Child 2") are not counts and keep ``%(n)d``.
"""

from __future__ import annotations

from flask import Flask
from flask_babel import format_number
from flask_babel.speaklater import LazyString


def number(value: int) -> str:
    """``value`` grouped the way the request's language writes numbers."""
    return format_number(value)


def lazy_number(value: int) -> LazyString:
    """``number(value)``, formatted when it is shown (for messages made at import time)."""
    return LazyString(format_number, value)


def register_filters(app: Flask) -> None:
    app.jinja_env.filters["number"] = format_number
