"""In-app alerts (no e-mail or SMS: they would leak): someone else changed a case I am on, a referral was answered,
a supervisor decided on my request, a perpetrator's release date arrived. Marked read per user.

Owns the ``alerts`` table (recipient, case, categorical kind, who caused it, when, read at — never free text), the
one-unread-alert-per-(user, case, kind) rule, the session hook that turns a change by one user into alerts for the
rest of the case's team, and the alert list. Other slices call ``services.notify`` and may register kinds
(``register_alert_kind``), e.g. location inquiries.
"""
