"""Translated labels for roles (shown in the header, admin pages and the audit log)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

ROLE_LABELS = {
    "counsellor": _l("Counsellor"),
    "coordinator": _l("Shelter coordinator"),
    "supervisor": _l("Supervisor"),
    "auditor": _l("Auditor"),
    "admin": _l("Administrator"),
}


def role_label(role: object) -> str:
    return str(ROLE_LABELS.get(str(role), str(role)))
