"""Shelters (dayanışma evleri): rooms and beds, admission requests and the waitlist, stays, moves, extensions,
discharges, the bed board, occupancy and alerts (DESIGN.md §2, issue 5).

Owns: ``Shelter`` (confidential address encrypted under the shelter's own data key), ``ShelterCoordinator``,
``Room``, ``Bed``, ``Outage`` (out of service, never deleted), ``AdmissionRequest`` (the waitlist entry and, once
admitted, the household), ``Stay`` (one per resident), ``BedAssignment`` (a bed booked for a date range),
``ExtensionRequest``.

Invariants kept here:

* **No double booking, enforced by the database.** Two bed assignments on the same bed with overlapping half-open
  date ranges ``[start_on, end_on)`` cannot both exist: on PostgreSQL an exclusion constraint
  (``EXCLUDE USING gist (bed_id WITH =, daterange(start_on, end_on, '[)') WITH &&)``), on SQLite ``BEFORE INSERT``
  and ``BEFORE UPDATE`` triggers that raise on overlap (SQLite serialises writers, so the trigger's check and the
  write are atomic). Open-ended stays book the bed up to their planned end date. The services check first for a
  friendly message; the constraint is the guarantee. A conflict becomes ``BedTaken`` ("That bed was just taken").
* **Least data.** A coordinator sees a resident only through ``ResidentView`` (``admissions/resident_view.py``),
  built from the few fields a shelter needs; never the case, its narrative, violence details or perpetrator data
  beyond a "do not admit" description. The bed board shows first names or initials, never surnames.
* **Scoped access.** Every shelter page loads the shelter through ``shelters.core.policies.load_shelter_for``: a
  coordinator reaches only the shelters she coordinates, a supervisor those of her centre, an admin only the
  configuration pages, counsellors and auditors none. Denial is a 404 and audited. The address is shown only to the
  shelter's coordinators and the centre's supervisors.
* **Everything audited.** Services record semantic events (admission, refusal, move, extension request and decision,
  discharge); change events come from the audit hook.

Layout, as in ``cases``: ``core/`` (models, policies, labels, errors, shared form fields, the blueprint and its view
helpers), then one package per page group — ``setup/`` (shelters, address, coordinators, rooms,
beds, out-of-service), ``board/`` (bed board, occupancy, waitlist, dashboard panels), ``admissions/`` (requests,
admission and refusal, the household: moves, extensions, discharge; occupancy statistics) — each with ``forms.py``,
``services.py``, ``views.py`` where it has them. ``registry.py`` lists what the package plugs into the app.
"""
