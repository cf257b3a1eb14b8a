"""Sign-in: passwords (argon2id), mandatory TOTP with recovery codes, rate limits and server-side sessions.

Invariants kept here: unknown user and wrong password look identical; every sign-in success, failure and MFA
event is audited; a session ends server-side on logout, idle timeout (15 min), absolute lifetime (8 h), password
change, MFA reset, role/centre change and account disabling, so a copied cookie replayed afterwards is refused.
"""
