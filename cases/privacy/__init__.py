"""Her privacy at intake (issue 18 §5, KVKK): the information notice (aydınlatma) is given before anything beyond her
name is recorded — the intake form refuses to open a case without it — and how it was given is on record; explicit
consents (açık rıza) for the purposes that need one, each with who recorded it and how, each revocable. The notice is
printable (``/cases/privacy-notice``). Referral consents stay in ``cases.referrals``.
"""
