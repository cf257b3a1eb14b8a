"""deploy/systemd: every timer has its service, is enabled by the install procedure, and runs a command that exists."""

from __future__ import annotations

import configparser
import re
import shlex
from pathlib import Path

import pytest

from tests.conftest import make_app

ROOT = Path(__file__).resolve().parents[2]
UNITS = ROOT / "deploy" / "systemd"
TIMERS = sorted(p.name for p in UNITS.glob("*.timer"))


def unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.optionxform = str        # type: ignore[assignment,method-assign]
    parser.read_string((UNITS / name).read_text())
    return parser


def test_the_periodic_jobs_are_there() -> None:
    assert {"dayanisma-retention.timer", "dayanisma-audit-anchor.timer", "dayanisma-backup.timer",
            "dayanisma-reindex.timer"} <= set(TIMERS)


@pytest.mark.parametrize("timer", TIMERS)
def test_each_timer_runs_an_existing_command_and_is_enabled_at_install(timer: str, tmp_path: Path) -> None:
    t = unit(timer)
    assert t["Timer"].get("OnCalendar") and t["Timer"].get("Persistent") == "true"
    assert t["Install"].get("WantedBy") == "timers.target"
    service = unit(timer.replace(".timer", ".service"))["Service"]
    assert service["Type"] == "oneshot" and service.get("NoNewPrivileges") == "yes"
    # systemd reads every EnvironmentFile= line (a parser keeps only the last): the app's own must be among them
    env_files = re.findall(r"^EnvironmentFile=(.+)$", (UNITS / timer.replace(".timer", ".service")).read_text(), re.M)
    assert "/etc/dayanisma/dayanisma.env" in env_files or "backup" in timer
    # The install procedure enables it (a timer copied but never enabled never runs).
    operations = " ".join((ROOT / "docs" / "OPERATIONS.md").read_text().split())
    assert re.search(r"systemctl enable --now dayanisma [^`]*\b" + re.escape(timer), operations), timer
    for key in ("ExecStart", "ExecStartPost"):
        if key not in service:
            continue
        argv = shlex.split(service[key])
        if argv[0].endswith("/flask"):
            # The app's command exists: `flask --app wsgi GROUP COMMAND --help` answers.
            assert argv[1:3] == ["--app", "wsgi"], argv
            app = make_app(f"sqlite:///{tmp_path / 'units.db'}", tmp_path)
            result = app.test_cli_runner().invoke(args=[*argv[3:], "--help"])
            assert result.exit_code == 0 and "Usage:" in result.output, (argv, result.output)
        else:
            assert argv[0].startswith("/srv/dayanisma/app/"), argv
            assert (ROOT / argv[0].removeprefix("/srv/dayanisma/app/")).exists(), argv
