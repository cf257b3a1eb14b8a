"""``make audit``: every pinned package checked against the known vulnerabilities PyPI's JSON API publishes.

    .venv/bin/python deploy/audit.py [-r requirements.txt -r requirements-dev.txt] [--json-url URL] [--strict]

For each pin of the hash-pinned requirements files (``deploy/sbom.py`` reads them, and refuses an unpinned or
unhashed line), the release's own record ``<json-url>/<name>/<version>/json`` is asked for its ``vulnerabilities``
(PyPI fills them from the Python advisory database / OSV). Some indexes and mirrors serve only the project record
``<json-url>/<name>/json``: its ``vulnerabilities`` describe the *latest* release, so they audit the pin only when
the pin is that release; otherwise the pin is reported as **unaudited** (never as clean). Withdrawn advisories are
ignored.

Output: one line per vulnerability (package, version, advisory id and aliases, fixed-in versions, link), then the
unaudited pins with the reason. Exit status: 0 no known vulnerability (unaudited pins are listed), 1 at least one
vulnerability, 2 a requirements file is not pinned with hashes or the index cannot be named, 3 with ``--strict``
when a pin could not be audited.

The JSON base URL: ``--json-url``, else ``$DAYANISMA_AUDIT_URL``, else derived from ``$PIP_INDEX_URL`` (a
warehouse-style mirror's ``…/simple`` becomes ``…/pypi``), else pip's own default index. Standard library only,
like the SBOM: the tool that checks the supply chain adds nothing to it. It needs the network; ``make test`` does not
call it (see docs/OPERATIONS.md, "Supply chain").
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from deploy.sbom import ROOT, read_pins  # noqa: E402

TIMEOUT = 20.0


@dataclass
class Vulnerability:
    id: str
    aliases: list[str]
    fixed_in: list[str]
    link: str
    summary: str


@dataclass
class Result:
    name: str
    version: str
    source: str = ""                 # "release" or "project": which record audited the pin; "" = unaudited
    vulnerabilities: list[Vulnerability] = field(default_factory=list)
    unaudited: str = ""              # why the pin could not be audited


def json_base(explicit: str | None) -> str:
    base = _json_base(explicit)
    if urllib.parse.urlsplit(base).scheme not in ("http", "https"):
        raise ValueError(f"the JSON index URL must be http(s): {base}")
    return base


def _json_base(explicit: str | None) -> str:
    if explicit:
        return explicit.rstrip("/")
    if os.environ.get("DAYANISMA_AUDIT_URL"):
        return os.environ["DAYANISMA_AUDIT_URL"].rstrip("/")
    index = os.environ.get("PIP_INDEX_URL", "").rstrip("/")
    if index.endswith("/simple"):
        return index[: -len("/simple")] + "/pypi"
    try:
        from pip._internal.models.index import PyPI
    except ImportError as exc:                          # pragma: no cover - pip is in every venv
        raise ValueError("no JSON index URL: pass --json-url") from exc
    return str(PyPI.pypi_url).rstrip("/")


def _get(url: str) -> dict[str, Any] | None:
    """The JSON document at url, or None on 404. Other failures raise OSError / ValueError."""
    if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        raise ValueError(f"not an http(s) URL: {url}")
    request = urllib.request.Request(url, headers={"Accept": "application/json",  # noqa: S310 (checked above)
                                                   "User-Agent": "dayanisma-audit"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:   # noqa: S310 (checked above)
            data = json.loads(response.read().decode("utf-8"))
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            return None
        raise
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    return data


def _vulnerabilities(record: dict[str, Any]) -> list[Vulnerability]:
    found = []
    for v in record.get("vulnerabilities") or []:
        if not isinstance(v, dict) or v.get("withdrawn"):
            continue
        found.append(Vulnerability(id=str(v.get("id") or "?"), aliases=[str(a) for a in v.get("aliases") or []],
                                   fixed_in=[str(f) for f in v.get("fixed_in") or []], link=str(v.get("link") or ""),
                                   summary=" ".join(str(v.get("summary") or v.get("details") or "").split())[:160]))
    return found


def audit_one(base: str, name: str, version: str) -> Result:
    result = Result(name, version)
    quoted_name, quoted_version = urllib.parse.quote(name), urllib.parse.quote(version)
    try:
        release = _get(f"{base}/{quoted_name}/{quoted_version}/json")
        if release is not None:
            result.source, result.vulnerabilities = "release", _vulnerabilities(release)
            return result
        project = _get(f"{base}/{quoted_name}/json")
    except (OSError, ValueError) as exc:                # URLError and HTTPError are OSErrors
        result.unaudited = f"index unreachable or unreadable ({type(exc).__name__}: {exc})"
        return result
    if project is None:
        result.unaudited = "not on the index"
        return result
    latest = str((project.get("info") or {}).get("version") or "")
    if latest == version:
        result.source, result.vulnerabilities = "project", _vulnerabilities(project)
    else:
        result.unaudited = (f"the index has no record of this release's vulnerabilities and its project record "
                            f"describes {latest or 'no release'}")
    return result


def audit(files: list[Path], base: str, workers: int = 8) -> list[Result]:
    pins: dict[tuple[str, str], None] = {}
    for path in files:
        for name, (version, _hashes) in read_pins(path).items():
            pins[(name, version)] = None
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(lambda pin: audit_one(base, *pin), sorted(pins)))


def report(results: list[Result], out: Any = None) -> None:
    out = out or sys.stdout
    vulnerable = [r for r in results if r.vulnerabilities]
    unaudited = [r for r in results if r.unaudited]
    for r in vulnerable:
        for v in r.vulnerabilities:
            aliases = f" ({', '.join(v.aliases)})" if v.aliases else ""
            fixed = f"fixed in {', '.join(v.fixed_in)}" if v.fixed_in else "no fixed release"
            print(f"VULNERABLE {r.name} {r.version}: {v.id}{aliases}; {fixed}; {v.link}", file=out)
            if v.summary:
                print(f"    {v.summary}", file=out)
    for r in unaudited:
        print(f"UNAUDITED  {r.name} {r.version}: {r.unaudited}", file=out)
    audited = len(results) - len(unaudited)
    print(f"audit: {len(results)} pins, {audited} audited, {len(unaudited)} unaudited, "
          f"{sum(len(r.vulnerabilities) for r in vulnerable)} known vulnerabilities in {len(vulnerable)} packages",
          file=out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("-r", "--requirements", type=Path, action="append",
                        help="hash-pinned requirements file (repeatable; default: requirements.txt and "
                             "requirements-dev.txt)")
    parser.add_argument("--json-url", help="base of the JSON API, e.g. a mirror's …/pypi")
    parser.add_argument("--strict", action="store_true", help="exit 3 when a pin could not be audited")
    args = parser.parse_args(argv)
    files = args.requirements or [ROOT / "requirements.txt", ROOT / "requirements-dev.txt"]
    try:
        base = json_base(args.json_url)
        results = audit(files, base)
    except (OSError, ValueError) as exc:
        print(f"audit: {exc}", file=sys.stderr)
        return 2
    print(f"audit: asking {base}", file=sys.stderr)
    report(results)
    if any(r.vulnerabilities for r in results):
        return 1
    if args.strict and any(r.unaudited for r in results):
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
