"""Shelter business rules, split by sub-domain: ``setup`` (shelters, coordinators, rooms, beds, outages), ``stays``
(requests, waitlist, admission, moves, extensions, discharge) and ``board`` (bed board, occupancy, alerts).
Services take an explicit ``actor=``, raise ``shelters.errors`` domain errors, may flush, never commit."""
