"""Handover (issue 18 §6): a supervisor moves a counsellor's open caseload — all of it or the cases she picks — to
colleagues of the centre in one step, when the counsellor leaves or goes on leave. Each case's new counsellor takes
her place (primary counsellor or team member), her open support actions on it move too, and work returned to her
(a safety plan, a closure request) follows the case (``cases.core.policies.returned_to``). One audit event per case
and one for the handover; the new counsellor gets an in-app alert per case.
"""
