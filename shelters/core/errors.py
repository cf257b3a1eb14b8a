"""Domain errors of shelter work. Messages are safe to show (no names, no addresses)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l


class ShelterError(Exception):
    """A shelter rule was broken. ``str(exc)`` is a message for the user."""

    message = _l("That could not be done.")

    def __init__(self, message: object | None = None) -> None:
        # Kept lazy: translating may touch the database (the user's locale), which must wait for the rollback.
        self._message = message if message is not None else self.message
        super().__init__(type(self).__name__)

    def __str__(self) -> str:
        return str(self._message)


class BedTaken(ShelterError):
    message = _l("That bed was just taken; choose another.")


class BedUnavailable(ShelterError):
    message = _l("That bed is out of service or booked for those dates; choose another.")


class OverCapacity(ShelterError):
    message = _l("Admitting them would take the shelter over its capacity (children count).")


class ChildOverAgeLimit(ShelterError):
    message = _l("A child is over the age limit for this shelter; arrange another placement.")


class InvalidRequest(ShelterError):
    message = _l("This request cannot be handled in its current state.")
