"""Location inquiries ("someone asked where she is"): the quick form every staff member reaches from every page, the
link to a case (now, within what the recorder may see, or later by a supervisor), and what a linked inquiry sets off:
a banner on the case page, a risk re-assessment prompt, the supervisor's dashboard, an alert to the coordinators of
the shelter she lives in (date and channel only).

Invariants kept here: what was said is encrypted (under the case's key once linked, under the inquiry's own key
before; linking re-encrypts and destroys the inquiry's own key); the recorder never learns whether a woman is known
unless she may see the case; alerts and panels carry case numbers, dates and channels, never the text.
"""
