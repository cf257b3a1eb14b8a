"""Case work: intake to closure for one woman's file at one centre (DESIGN.md §2).

Owns cases, the people in them (applicant, children, perpetrator), intake, safe-contact profile, contact notes, risk
assessments, safety and support plans, referrals with consent, protective orders, break-glass, dashboards, erasure
(crypto-shredding) and the retention of closed cases (``flask retention run``).
Invariants kept here: every sensitive field is stored through ``crypto`` (the case's data key); every case is reached
through ``cases.core.policies.load_case_for`` (a case of another centre, or not assigned to a counsellor, is a 404 and
audited); coordinators, auditors and admins never reach case pages.

Layout: one package per sub-domain (a *slice*), each with the same files — ``models.py``, ``forms.py``,
``services.py``, ``views.py``, and where it has them ``panels.py`` (dashboard panels), ``reports.py`` (statistics
tables), ``cli.py`` (commands):

* ``core/`` — what every slice builds on: ``Case``, ``Person``, team and break-glass models, ``policies`` (scoped
  loaders), ``access`` (the view decorator), ``labels``, ``errors``, shared form fields, ``services`` (opening a case,
  case numbers, age bands), the blueprint. ``core`` imports no slice.
* ``casefile/`` — the case list, search, the case page (put together from the slices in ``page.py``), the access
  report, the caseload panels.
* ``intake/`` — the intake form, the returning-applicant check, and correcting the people of a case afterwards.
* ``notes/``, ``risk/``, ``plans/`` (safety and support), ``referrals/`` (with consent), ``orders/`` (6284),
  ``lifecycle/`` (team, transfer, close, reopen, break-glass), ``retention/`` (erasure and the retention run).

A slice may use ``core`` and another slice's models and services; never another slice's views. What the package
plugs into the app (blueprint, models, panels, statistics, demo data, commands) is listed once, in ``registry.py``.
"""
