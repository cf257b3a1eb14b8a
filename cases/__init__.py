"""Case work: intake to closure for one woman's file at one centre (DESIGN.md §2).

Owns cases, the people in them (applicant, children, perpetrator), intake, safe-contact profile, contact notes, risk
assessments, safety and support plans, referrals with consent, protective orders, break-glass, dashboards, erasure
(crypto-shredding) and the retention of closed cases (``flask retention run``).
Invariants kept here: every sensitive field is stored through ``crypto`` (the case's data key); every case is reached
through ``cases.core.policies.load_case_for`` (a case of another centre, or not assigned to a counsellor, is a 404 and
audited); coordinators, auditors and admins never reach case pages.
"""
