"""The admin's retention schedule form: one period in days per data class the run applies (shape and bounds only;
``cases.retention.services.set_rule`` checks them again)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField
from wtforms.validators import InputRequired, NumberRange

from cases.retention.services import CLASSES_BY_KEY

EDITABLE = ("closed-cases", "documents", "unlinked-inquiries", "disabled-accounts", "audit-events")


def _days(key: str, label: object) -> IntegerField:
    item = CLASSES_BY_KEY[key]
    return IntegerField(label, validators=[InputRequired(), NumberRange(item.min_days, item.max_days)],
                        description=_l("Days, from %(low)s to %(high)s.", low=item.min_days, high=item.max_days))


def field_name(key: str) -> str:
    return key.replace("-", "_")


class ScheduleForm(FlaskForm):
    closed_cases = _days("closed-cases", _l("Closed cases: days after closing"))
    documents = _days("documents", _l("Documents: days after the case is closed"))
    unlinked_inquiries = _days("unlinked-inquiries",
                               _l("Location inquiries not linked to a case: days after recording"))
    disabled_accounts = _days("disabled-accounts", _l("Disabled user accounts: days after disabling, then anonymised"))
    audit_events = _days("audit-events", _l("Audit events: days after the event (events of cases still held stay)"))

    def periods(self) -> dict[str, int]:
        return {key: int(getattr(self, field_name(key)).data) for key in EDITABLE}


class DryRunForm(FlaskForm):
    """CSRF only."""
