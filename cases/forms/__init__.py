"""Forms of the case pages, split by sub-domain (``intake``, ``notes``, ``lifecycle``, …). Forms check shape only
(required, lengths, choices, dates); ``cases.services`` checks the rules."""
