"""Audit anchors that leave the database by themselves (DESIGN.md §3.8).

From inside the database the chain cannot tell a genuine short log from one whose newest events were deleted (or the
whole table truncated, or rows 1…P re-inserted) with ``audit_head`` wound back to match. An anchor — ``SEQ:HASH`` of
a committed head — kept where the database's administrator cannot reach closes that: ``flask audit verify`` checks
that the log still holds every anchored event with exactly that hash, and names the first anchor it no longer
matches.

After a commit that appended events, the newest event becomes an anchor when ``AUDIT_ANCHOR_EVERY_EVENTS`` events or
``AUDIT_ANCHOR_EVERY_SECONDS`` seconds have passed since this process's last one (the first commit after start-up
always anchors). ``flask audit anchor`` writes one on demand (cron, so a quiet night's last events are anchored too).

Sinks are a small interface (``AnchorSink``): ``write`` an anchor, and ``read`` the anchors back where the medium
allows. Shipped: an append-only local file (``AUDIT_ANCHOR_FILE``; opened ``O_APPEND``, fsynced; make it ``chattr +a``
and ship it off the server) and syslog (``AUDIT_ANCHOR_SYSLOG``: ``/dev/log`` on Debian, which journald and rsyslog
read; forward it to another machine). An RFC 3161 timestamping authority or WORM storage is one more class with the
same two methods. An anchor holds no personal data: a counter and a keyed hash.
"""

from __future__ import annotations

import logging
import os
import re
import socket
import threading
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from flask import Flask, current_app

from app.audit import Anchor

ANCHOR_LINE = re.compile(r"\b(\d{1,19}):([0-9a-f]{64})\b")
SYSLOG_TAG = "dayanisma-audit-anchor"
_log = logging.getLogger(__name__)


class AnchorSink(Protocol):
    name: str

    def write(self, anchor: Anchor, at: datetime) -> None: ...

    def read(self) -> Iterable[Anchor]:
        """The anchors this sink holds, oldest first; a write-only sink returns none."""
        ...


def parse_anchors(lines: Iterable[str]) -> list[Anchor]:
    """Every ``SEQ:HASH`` in these lines (an anchor file, ``journalctl -t dayanisma-audit-anchor`` output …)."""
    found = []
    for line in lines:
        for seq, digest in ANCHOR_LINE.findall(line):
            if 1 <= int(seq) < 2**63:
                found.append(Anchor(int(seq), digest))
    return found


class FileSink:
    """One line per anchor, appended (``O_APPEND``: a writer cannot overwrite what is there) and fsynced."""

    name = "file"

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def write(self, anchor: Anchor, at: datetime) -> None:
        line = f"{at.isoformat(timespec='seconds')} {anchor}\n".encode()
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, line)
            os.fsync(fd)
        finally:
            os.close(fd)

    def read(self) -> list[Anchor]:
        try:
            with self.path.open(encoding="ascii", errors="replace") as handle:
                return parse_anchors(handle)
        except FileNotFoundError:
            return []


class SyslogSink:
    """One RFC 3164 datagram per anchor to a syslog socket (``/dev/log``: journald/rsyslog, which can forward it off
    the server). Write-only here: feed ``journalctl -t dayanisma-audit-anchor`` to ``audit verify --anchors-from -``.
    """

    name = "syslog"
    PRIORITY = 10 * 8 + 6  # facility authpriv (readable by administrators only), severity info

    def __init__(self, address: str) -> None:
        self.address = address

    def write(self, anchor: Anchor, at: datetime) -> None:
        message = f"<{self.PRIORITY}>{SYSLOG_TAG}: audit anchor {anchor}".encode()
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            sock.connect(self.address)
            sock.send(message)

    def read(self) -> list[Anchor]:
        return []


class AnchorWriter:
    """Decides when a committed head becomes an anchor, and writes it to every sink (per process, thread-safe)."""

    def __init__(self, sinks: list[AnchorSink], every_events: int, every_seconds: float) -> None:
        self.sinks = sinks
        self.every_events = max(1, every_events)
        self.every_seconds = every_seconds
        self._lock = threading.Lock()
        self._last_seq = 0
        self._last_time = float("-inf")
        self._failing: set[str] = set()  # sinks whose last write failed: logged once, not on every anchor

    def committed(self, anchor: Anchor) -> None:
        now = time.monotonic()
        with self._lock:
            due = (anchor.seq - self._last_seq >= self.every_events
                   or now - self._last_time >= self.every_seconds)
            if not due or anchor.seq <= self._last_seq:
                return
            self._last_seq, self._last_time = anchor.seq, now
        self.write(anchor)

    def write(self, anchor: Anchor) -> list[str]:
        """Write to every sink; a failing sink is logged (an anchor is not secret) and the others still get it.

        A sink that stays unreachable (no ``/dev/log`` on the host) is logged as an error when it starts failing and
        again when it recovers, not on every anchor: one line an operator acts on, not a log flooded every few
        minutes until the real errors drown. ``audit anchor`` still reports it on every run.
        """
        at = datetime.now(UTC)
        failed = []
        for sink in self.sinks:
            try:
                sink.write(anchor, at)
            except OSError:
                failed.append(sink.name)
                with self._lock:
                    first = sink.name not in self._failing
                    self._failing.add(sink.name)
                if first:
                    _log.exception("could not write the audit anchor to the %s sink (logged once until it recovers)",
                                   sink.name)
            else:
                with self._lock:
                    recovered = sink.name in self._failing
                    self._failing.discard(sink.name)
                if recovered:
                    _log.warning("the audit anchor reaches the %s sink again", sink.name)
        return failed

    def read(self) -> list[Anchor]:
        return [anchor for sink in self.sinks for anchor in sink.read()]


def sinks_from_config(config: dict[str, object]) -> list[AnchorSink]:
    sinks: list[AnchorSink] = []
    if config.get("AUDIT_ANCHOR_FILE"):
        sinks.append(FileSink(str(config["AUDIT_ANCHOR_FILE"])))
    if config.get("AUDIT_ANCHOR_SYSLOG"):
        sinks.append(SyslogSink(str(config["AUDIT_ANCHOR_SYSLOG"])))
    return sinks


EXTENSION = "dayanisma.audit_anchors"


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION] = AnchorWriter(
        sinks_from_config(app.config),
        every_events=int(app.config.get("AUDIT_ANCHOR_EVERY_EVENTS", 100)),
        every_seconds=float(app.config.get("AUDIT_ANCHOR_EVERY_SECONDS", 300)),
    )


def writer() -> AnchorWriter | None:
    found = current_app.extensions.get(EXTENSION)
    return found if isinstance(found, AnchorWriter) else None
