"""Equality statistics (issue 21): who the centre serves, by disability, migration status and gender identity,
crossed with referrals, shelter admissions and protective orders. The answers themselves are the applicant's
(``cases.core.models.Person``, recorded by ``cases.intake``); this slice only counts their plain categorical copies
on ``Case`` and never decrypts anything."""
