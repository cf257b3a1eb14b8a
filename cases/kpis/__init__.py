"""Managers' figures (issue 18 §6): the supervisor's KPI page (``/cases/kpis``, her centre, one year) and the same
tables in the yearly statistics (``reports.kpi_tables``, registered with ``app.reports``): days from application to
the first risk assessment, high-risk cases and their safety plan (and time to approval), referrals by how they ended,
days from application to closure, closures by reason. Computed from plain dates and categorical columns only; every
count describing women is suppressed below k (``app.reports.suppression``) on the page, as in a release. An erased
file is counted in a row of its own, so each table counts the same cases as its twin among the intake tables.
Caseloads per counsellor describe staff, not women, and are shown as they are.
"""
