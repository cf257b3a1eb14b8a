"""Her feedback on the service (issue 18 §5): an optional, anonymous questionnaire offered at closure — felt safe,
felt believed, would recommend, what helped — that is never linked back to her case.

SECURITY (unlinkable): the form's URL carries no case; a response keeps only the centre and the month (no case, no
user, no timestamp) under a random key (the row order says nothing); it is written with a Core insert so that no
change event (whose actor and second would sit next to the closure just recorded) is made. Its figures appear only
as suppressed statistics (``reports.feedback_tables``: the KPI page and the yearly report).
"""
