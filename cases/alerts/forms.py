"""Marking alerts read (POST with CSRF)."""

from __future__ import annotations

from flask_wtf import FlaskForm


class MarkReadForm(FlaskForm):
    """Only the CSRF token: the alert is in the URL, or it is "all of mine"."""
