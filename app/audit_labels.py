"""What an audit code means, in the reader's language (issue 16 §4): the audit page shows "Case opened" or "Dosya
açıldı", not ``case.view``; the code itself stays in the row (as a tooltip), in the filter and in the CSV export, so an
auditor can still search by it.

Three kinds of codes reach the log: access decisions (``<object>.<action>`` from the policy decorators), semantic
events (``case.break-glass``, ``auth.login`` …) and data changes (``data.<table>.<create|update|delete>`` from the
flush hook). The first two are looked up in ``ACTION_LABELS``; a data change is "Changed: <what>" with the table's
label. An unknown code is shown as it is: a label never hides an event.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from app.users.labels import role_label

ACTION_LABELS: dict[str, LazyString] = {
    # Signing in and accounts
    "auth.login": _l("Signed in"),
    "auth.logout": _l("Signed out"),
    "auth.mfa": _l("One-time code checked"),
    "auth.mfa-enrol": _l("Authenticator app set up"),
    "auth.password": _l("Password checked"),
    "auth.password-change": _l("Password changed"),
    "auth.rate-limited": _l("Too many attempts: slowed down"),
    "auth.step-up": _l("Identity confirmed again"),
    "users.view": _l("User accounts viewed"),
    "users.create": _l("User account created"),
    "users.activate": _l("User account activated"),
    "users.disable": _l("User account disabled"),
    "users.anonymise": _l("Disabled account anonymised"),
    "users.enable": _l("User account enabled again"),
    "users.enable-request": _l("Asked to enable an account"),
    "users.change-role": _l("Role changed"),
    "users.credentials-reset-request": _l("Asked to reset sign-in details"),
    "users.account-confirm": _l("Account request confirmed"),
    "users.account-refuse": _l("Account request refused"),
    "users.sign-in-unlock": _l("Sign-in wait cleared"),
    "user.handover": _l("Caseload handed over"),
    "centres.create": _l("Centre created"),
    # A case: reading it
    "case.list": _l("Case list viewed"),
    "case.search": _l("Cases searched"),
    "case.view": _l("Case viewed"),
    "case.section": _l("Case section viewed"),
    "case.edit": _l("Case opened to change it"),
    "case.manage": _l("Case management page opened"),
    "case.approve": _l("Opened for approval"),
    "case.access-report": _l("Access report viewed"),
    "case.kvkk-report": _l("KVKK art. 11 report opened"),
    "case.kvkk-report.shown": _l("KVKK art. 11 report shown"),
    "case.view.break-glass": _l("Case opened under break-glass"),
    "case.break-glass": _l("Break-glass access granted"),
    "case.break-glass.review": _l("Break-glass access reviewed"),
    "case.returning-check": _l("Returning-applicant check"),
    "case.intake-draft": _l("Intake draft opened"),
    "case.application": _l("New application in her existing file"),
    "case.print": _l("Paper printed"),
    "case.export": _l("Case summary exported"),
    # A case: changing it
    "case.open": _l("New case opened"),
    "case.close": _l("Case closed"),
    "case.reopen": _l("Case reopened"),
    "case.closure-request": _l("Closure requested"),
    "case.closure-approve": _l("Closure approved"),
    "case.closure-return": _l("Closure sent back"),
    "case.transfer": _l("Case transferred"),
    "case.team": _l("Case team changed"),
    "case.handover": _l("Case handed over"),
    "case.shred": _l("Case destroyed (keys shredded)"),
    "case.person.remove": _l("Person removed from the case"),
    "case.confidentiality-measures": _l("Confidentiality measures changed"),
    "case.custody": _l("Custody recorded"),
    "case.incident": _l("Incident recorded"),
    "case.legal-proceeding": _l("Legal proceeding recorded"),
    "case.privacy-notice": _l("Privacy notice given"),
    "case.explicit-consent": _l("Explicit consent recorded"),
    "case.explicit-consent-revoke": _l("Explicit consent withdrawn"),
    "case.explicit-consent-revoked": _l("Explicit consent withdrawn"),
    "case.consent-record": _l("Consent to share recorded"),
    "case.consent-revoke": _l("Consent to share revoked"),
    "case.referral-create": _l("Referral drafted"),
    "case.referral-edit": _l("Referral draft changed"),
    "case.referral-send": _l("Referral sent"),
    "case.referral-override": _l("Referral sent without consent (emergency)"),
    "case.referral-status": _l("Referral status changed"),
    "case.report-decision": _l("Duty-to-report decision recorded"),
    "case.report-decision-log": _l("Duty-to-report log viewed"),
    "case.release-triggered": _l("Release of information triggered"),
    "case.reassessment-prompt": _l("Risk reassessment prompted"),
    "case.order-record": _l("Protective order recorded"),
    "case.order-extend": _l("Protective order extended"),
    "case.order-approval": _l("Police order approval recorded"),
    "case.order-violation": _l("Order violation recorded"),
    "risk.assessed": _l("Risk assessed"),
    "risk.reassessment_requested": _l("Risk reassessment requested"),
    "risk_checklist.published": _l("Risk checklist published"),
    "safety_plan.submitted": _l("Safety plan submitted"),
    "safety_plan.approved": _l("Safety plan approved"),
    "safety_plan.returned": _l("Safety plan sent back"),
    "alert.read": _l("Alert opened"),
    "referral.view": _l("Referral opened"),
    "referral.print": _l("Referral letter asked for"),
    "consent.print": _l("Consent form asked for"),
    "consent.revoke": _l("Consent revocation asked for"),
    "protective-order.view": _l("Protective order opened"),
    "document.upload": _l("Document uploaded"),
    "document.download": _l("Document downloaded"),
    "document.delete": _l("Document deleted"),
    "inquiry.record": _l("Location inquiry recorded"),
    "inquiry.list": _l("Location inquiries viewed"),
    "inquiry.link": _l("Location inquiry linked to a case"),
    "inquiry.shred": _l("Location inquiry destroyed"),
    # Shelters
    "shelter.view": _l("Shelter opened"),
    "shelter.operate": _l("Shelter opened to work on it"),
    "shelter.manage": _l("Shelter management opened"),
    "shelter.configure": _l("Shelter settings opened"),
    "shelter.approve": _l("Shelter opened for approval"),
    "shelter.address": _l("Shelter address viewed"),
    "shelter.board": _l("Bed board viewed"),
    "shelter.dashboard": _l("Shelter dashboard viewed"),
    "shelter.waitlist": _l("Waiting list viewed"),
    "shelter.create": _l("Shelter created"),
    "shelter.update": _l("Shelter details changed"),
    "shelter.address-change": _l("Shelter address changed"),
    "shelter.request": _l("Shelter place requested"),
    "shelter.admit": _l("Admitted to a shelter"),
    "shelter.decline": _l("Shelter request not accepted"),
    "shelter.refused": _l("Admission refused"),
    "shelter.discharge": _l("Left the shelter"),
    "shelter.move": _l("Moved to another bed"),
    "shelter.extension-request": _l("Longer stay requested"),
    "shelter.extension-approve": _l("Longer stay approved"),
    "shelter.extension-refuse": _l("Longer stay refused"),
    "shelter.resident-view": _l("Resident's page viewed"),
    "shelter.bed-add": _l("Bed added"),
    "shelter.bed-rename": _l("Bed renamed"),
    "shelter.room-add": _l("Room added"),
    "shelter.room-rename": _l("Room renamed"),
    "shelter.out-of-service": _l("Bed out of service"),
    "shelter.back-in-service": _l("Bed back in service"),
    "shelter.coordinator-add": _l("Coordinator added"),
    "shelter.coordinator-remove": _l("Coordinator removed"),
    "shelter_admission_request.view": _l("Shelter request opened"),
    # Statistics, retention, the log itself
    "reports.view": _l("Statistics viewed"),
    "reports.export": _l("Statistics exported"),
    "reports.release": _l("Statistics released"),
    "reports.releases": _l("Statistics releases viewed"),
    "statistics.kpis": _l("Indicators viewed"),
    "retention.schedule": _l("Retention schedule changed"),
    "retention.dry-run": _l("Retention trial run"),
    "retention.record.view": _l("Destruction record viewed"),
    "view.cases.view_destruction_record": _l("Destruction record viewed"),
    "audit.search": _l("Audit log searched"),
    "audit.export": _l("Audit log exported"),
    "audit.verify": _l("Audit log verified"),
    "audit.expire": _l("Old audit events removed behind a signed checkpoint"),
    "access.store-unavailable": _l("Refused: the rate-limit store could not be reached"),
    "audit.key-add": _l("Audit key added"),
    "audit.key-activate": _l("Audit key activated"),
    "demo.generate": _l("Demo data generated"),
}

# Tables as the data-change events name them (``data.<table>.<verb>``).
OBJECT_LABELS: dict[str, LazyString] = {
    "account_activations": _l("account activation"), "alerts": _l("alert"),
    "break_glass_grants": _l("break-glass grant"), "case_documents": _l("document"),
    "case_document_chunks": _l("document"), "case_members": _l("case team"), "cases": _l("case"),
    "centres": _l("centre"), "closure_requests": _l("closure request"),
    "confidentiality_measures": _l("confidentiality measures"), "consent_records": _l("consent to share"),
    "contact_notes": _l("note"), "custody_records": _l("custody record"),
    "destruction_records": _l("destruction record"), "explicit_consents": _l("explicit consent"),
    "feedback_responses": _l("feedback"), "incidents": _l("incident"), "intake_drafts": _l("intake draft"),
    "legal_proceedings": _l("legal proceeding"), "location_inquiries": _l("location inquiry"),
    "location_inquiry_alerts": _l("location inquiry alert"),
    "order_extensions": _l("order extension"), "order_violations": _l("order violation"),
    "persons": _l("person"), "privacy_notices": _l("privacy notice"), "protective_orders": _l("protective order"),
    "recovery_codes": _l("recovery codes"), "referrals": _l("referral"), "report_decisions": _l("report decision"),
    "retention_rules": _l("retention rule"), "retention_runs": _l("retention run"),
    "risk_assessments": _l("risk assessment"), "risk_checklists": _l("risk checklist"),
    "risk_reassessment_prompts": _l("reassessment prompt"), "safety_plan_versions": _l("safety plan"),
    "saved_searches": _l("saved search"), "shelter_admission_requests": _l("shelter request"),
    "shelter_bed_assignments": _l("bed assignment"), "shelter_beds": _l("bed"),
    "shelter_coordinators": _l("shelter coordinator"), "shelter_extension_requests": _l("longer-stay request"),
    "shelter_outages": _l("bed out of service"), "shelter_rooms": _l("room"), "shelter_stays": _l("shelter stay"),
    "shelters": _l("shelter"), "statistics_releases": _l("statistics release"),
    "support_actions": _l("support action"), "support_goals": _l("support goal"),
    "support_plan_reviews": _l("support plan review"), "support_progress_notes": _l("progress note"),
    "user_sessions": _l("session"), "users": _l("user account"),
}

_DATA_VERBS = {"create": _l("Created: %(thing)s"), "update": _l("Changed: %(thing)s"),
               "delete": _l("Deleted: %(thing)s")}

# Why something was refused, in plain words (the reasons the code gives; others are shown as recorded).
REASON_LABELS: dict[str, LazyString] = {
    "not in case": _l("Not part of this case"), "not-in-case": _l("Not part of this case"),
    "role": _l("Not allowed for this role"), "other-centre": _l("Belongs to another centre"),
    "not hers": _l("Not assigned to this user"), "not found": _l("Does not exist or not allowed"),
    "bad credentials": _l("Wrong email or password"), "not-published": _l("Not published yet"),
    "damaged": _l("The stored copy is damaged"), "linked to a case": _l("Already linked to a case"),
}


def action_label(code: str) -> str:
    """The reader's words for an audit code; the code itself when it has none."""
    label = ACTION_LABELS.get(code)
    if label is not None:
        return str(label)
    parts = code.split(".")
    if len(parts) == 3 and parts[0] == "data" and parts[2] in _DATA_VERBS:
        thing = OBJECT_LABELS.get(parts[1])
        return str(_DATA_VERBS[parts[2]]) % {"thing": str(thing) if thing is not None else parts[1]}
    return code


def object_label(table: str | None) -> str:
    if not table:
        return ""
    label = OBJECT_LABELS.get(table) or OBJECT_LABELS.get(table + "s")
    return str(label) if label is not None else table


def reason_label(reason: str | None) -> str:
    if not reason:
        return ""
    label = REASON_LABELS.get(reason)
    return str(label) if label is not None else reason


__all__ = ["ACTION_LABELS", "OBJECT_LABELS", "action_label", "object_label", "reason_label", "role_label"]
