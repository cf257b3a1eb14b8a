"""Statistics for the municipality's yearly "Equality in Service" report (DESIGN.md §2 Statistics, issue 6).

Owns the ``reports`` blueprint (``/reports/``: page, CSV export, printable report), small-cell suppression
(``suppression.py``, pure), server-side SVG charts (``charts.py``) and the registry through which ``cases`` and
``shelters`` contribute their tables (``registry.py``) — so ``app`` never imports a feature package.

Invariants kept here: aggregates only (no identifiers, no free text, nothing finer than a month); every count in
1..k-1 (``STATS_MIN_CELL``, default 5) hidden and not recoverable from the totals shown; computed from plain
categorical columns, never by decrypting; every view and export audited before the figures leave.
"""
