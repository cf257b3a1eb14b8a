"""``make audit`` (deploy/audit.py) against a JSON index served here on the loopback: no test needs the network."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from deploy import audit, sbom

ROOT = Path(__file__).resolve().parents[2]
HASH = "--hash=sha256:" + "c" * 64


class Index:
    """A tiny JSON API: path → (status, document); every path asked is recorded."""

    def __init__(self) -> None:
        self.documents: dict[str, tuple[int, Any]] = {}
        self.asked: list[str] = []
        index = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                index.asked.append(self.path)
                status, document = index.documents.get(self.path, (404, {"message": "Not Found"}))
                body = json.dumps(document).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/pypi"

    def release(self, name: str, version: str, vulns: list[dict[str, Any]], status: int = 200) -> None:
        self.documents[f"/pypi/{name}/{version}/json"] = (status, {"info": {"version": version},
                                                                    "vulnerabilities": vulns})

    def project(self, name: str, latest: str, vulns: list[dict[str, Any]]) -> None:
        self.documents[f"/pypi/{name}/json"] = (200, {"info": {"version": latest}, "vulnerabilities": vulns})


@pytest.fixture()
def index() -> Iterator[Index]:
    served = Index()
    thread = threading.Thread(target=served.server.serve_forever, daemon=True)
    thread.start()
    yield served
    served.server.shutdown()
    served.server.server_close()
    thread.join(5)


def vuln(id_: str, fixed: str, withdrawn: str | None = None) -> dict[str, Any]:
    return {"id": id_, "aliases": [f"CVE-2026-{id_[-4:]}"], "fixed_in": [fixed], "link": f"https://osv.dev/{id_}",
            "summary": "Header  injection\nin something", "details": "long", "source": "osv", "withdrawn": withdrawn}


def requirements(tmp_path: Path, pins: list[str]) -> Path:
    path = tmp_path / "requirements.txt"
    path.write_text("".join(f"{pin} \\\n    {HASH}\n" for pin in pins))
    return path


def test_a_vulnerable_pin_fails_the_audit_and_each_case_is_reported(
        index: Index, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # alpha: its release record lists one live and one withdrawn advisory.
    index.release("alpha", "1.0", [vuln("PYSEC-2026-0001", "1.1"), vuln("PYSEC-2026-0002", "1.2", "2026-01-01")])
    # beta: no release record (404) but the pin is the latest release: the project record audits it, clean.
    index.project("beta", "2.0", [])
    # gamma: no release record, the project record describes a newer release: unaudited, not clean.
    index.project("gamma", "3.1", [vuln("GHSA-2026-0003", "3.2")])
    # delta: on no record at all. epsilon: the index fails (500).
    index.release("epsilon", "5.0", [], status=500)
    # zeta: only the project record, pin is latest, with an advisory: vulnerable through the fallback.
    index.project("zeta", "6.0", [vuln("PYSEC-2026-0006", "6.1")])
    req = requirements(tmp_path, ["alpha==1.0", "beta==2.0", "gamma==3.0", "delta==4.0", "epsilon==5.0",
                                  "zeta==6.0"])

    assert audit.main(["-r", str(req), "--json-url", index.url]) == 1
    out = capsys.readouterr().out
    assert "VULNERABLE alpha 1.0: PYSEC-2026-0001 (CVE-2026-0001); fixed in 1.1; https://osv.dev/PYSEC-2026-0001" in out
    assert "Header injection in something" in out
    assert "PYSEC-2026-0002" not in out                  # withdrawn
    assert "VULNERABLE zeta 6.0: PYSEC-2026-0006" in out
    assert "beta" not in out                             # audited by its project record and clean
    assert "UNAUDITED  gamma 3.0:" in out and "describes 3.1" in out and "GHSA-2026-0003" not in out
    assert "UNAUDITED  delta 4.0: not on the index" in out
    assert "UNAUDITED  epsilon 5.0: index unreachable or unreadable (HTTPError" in out
    assert "audit: 6 pins, 3 audited, 3 unaudited, 2 known vulnerabilities in 2 packages" in out
    # The release record is asked first; the project record only when the release has none.
    assert "/pypi/alpha/json" not in index.asked and "/pypi/beta/2.0/json" in index.asked


def test_clean_pins_pass_and_strict_fails_on_an_unaudited_one(
        index: Index, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    index.release("alpha", "1.0", [vuln("PYSEC-2026-0009", "1.0", "2026-02-02")])    # withdrawn only
    index.project("beta", "2.0", [])
    clean = requirements(tmp_path, ["alpha==1.0", "beta==2.0"])
    assert audit.main(["-r", str(clean), "--json-url", index.url]) == 0
    assert audit.main(["-r", str(clean), "--json-url", index.url, "--strict"]) == 0
    index.project("beta", "2.1", [])
    assert audit.main(["-r", str(clean), "--json-url", index.url]) == 0
    assert audit.main(["-r", str(clean), "--json-url", index.url, "--strict"]) == 3
    assert "UNAUDITED  beta 2.0" in capsys.readouterr().out


def test_an_unreachable_index_leaves_every_pin_unaudited_not_clean(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    req = requirements(tmp_path, ["alpha==1.0"])
    assert audit.main(["-r", str(req), "--json-url", "http://127.0.0.1:9/pypi", "--strict"]) == 3
    assert "UNAUDITED  alpha 1.0: index unreachable" in capsys.readouterr().out


def test_an_unhashed_requirements_file_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    req = tmp_path / "r.txt"
    req.write_text("flask==3.1.3\n")
    assert audit.main(["-r", str(req), "--json-url", "http://127.0.0.1:9/pypi"]) == 2
    assert "no --hash" in capsys.readouterr().err


def test_make_audit_asks_about_every_pin_of_both_files(index: Index) -> None:
    for name in ("requirements.txt", "requirements-dev.txt"):
        for package, (version, _) in sbom.read_pins(ROOT / name).items():
            index.release(package, version, [])
    recipe = subprocess.run(["make", "-n", "-C", str(ROOT), "audit"], capture_output=True, text=True,
                            check=True).stdout
    assert "deploy/audit.py" in recipe
    done = subprocess.run([sys.executable, str(ROOT / "deploy" / "audit.py"), "--strict"], capture_output=True,
                          text=True, cwd=ROOT, env={"DAYANISMA_AUDIT_URL": index.url, "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stdout + done.stderr
    pins = {(p, v) for n in ("requirements.txt", "requirements-dev.txt")
            for p, (v, _) in sbom.read_pins(ROOT / n).items()}
    assert {tuple(path.split("/")[2:4]) for path in index.asked} == pins
    assert f"audit: {len(pins)} pins, {len(pins)} audited, 0 unaudited, 0 known vulnerabilities" in done.stdout


def test_the_json_url_follows_a_mirror(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DAYANISMA_AUDIT_URL", raising=False)
    monkeypatch.setenv("PIP_INDEX_URL", "https://mirror.belediye.example/root/pypi/+simple/")
    assert "belediye" not in audit.json_base(None)     # not a warehouse-style …/simple: pip's default
    monkeypatch.setenv("PIP_INDEX_URL", "https://mirror.belediye.example/simple/")
    assert audit.json_base(None) == "https://mirror.belediye.example/pypi"
    monkeypatch.setenv("DAYANISMA_AUDIT_URL", "http://127.0.0.1:3141/pypi/")
    assert audit.json_base(None) == "http://127.0.0.1:3141/pypi"
    assert audit.json_base("http://x.example/pypi/") == "http://x.example/pypi"
    with pytest.raises(ValueError, match="http"):
        audit.json_base("file:///etc/pypi")
