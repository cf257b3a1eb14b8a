"""Centres and staff accounts: who exists, which role and centre they have, and their admin pages.

Invariants kept here: no default accounts outside demo data; admins manage accounts but never see case content;
disabling a user, changing her role or centre, or resetting her MFA ends her sessions server-side (DESIGN.md §3.7).
"""
