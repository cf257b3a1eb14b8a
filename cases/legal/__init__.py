"""The legal process (issue 18 §3): proceedings (criminal complaint and case, divorce, custody, maintenance) with
their file numbers, court or prosecutor's office and the lawyer (encrypted), the next hearing (a task as it nears);
the 6284 confidentiality measures and their status; the perpetrator's custody status. His release — a recorded
release date that has come — asks for a risk re-assessment and alerts the case's team, once
(``services.trigger_releases``: on recording, and daily through ``flask legal releases`` for dates still ahead).
The duty-to-report decision log: what staff learned of, reported or not (to whom; why, encrypted), by whom, and
whether she was told first.
"""
