"""Domain errors of case work. Messages are safe to show to the user (no case data in them)."""


class CaseError(Exception):
    """A case rule was broken."""


class CaseClosed(CaseError):
    """The case is closed; reopen it first."""
