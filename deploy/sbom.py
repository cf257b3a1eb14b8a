"""``make sbom``: a CycloneDX 1.5 SBOM of the dependencies the app ships, from the hash-pinned requirements.txt.

    .venv/bin/python deploy/sbom.py [-o sbom.cdx.json]

One component per pinned package: name, version, its purl, and the SHA-256 of every published file that
``pip install --require-hashes`` accepts for it (so the SBOM names exactly what can be installed, whatever the
platform's wheel), and its licence. ``dependencies`` is the graph: for each package, the pinned packages its
``Requires-Dist`` needs here (markers evaluated for this Python and platform, no extras: none is requested), and for
the app the packages no other pinned package requires (what the app itself asks for). Both come from the installed
packages' metadata (``make sbom`` installs first): a pin that is not installed, installed at another version, or a
requirement that is not pinned is an error (the SBOM would describe something else). Standard library plus
``packaging`` (itself pinned and shipped): the tool that lists the supply chain adds nothing to it. Dev tools
(requirements-dev.txt) are not shipped.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import uuid
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import InvalidRequirement, Requirement

ROOT = Path(__file__).resolve().parents[1]
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)")
HASH = re.compile(r"--hash=sha256:([0-9a-f]{64})")


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def read_pins(path: Path) -> dict[str, tuple[str, list[str]]]:
    """{canonical name: (version, [sha256, ...])} from a pip-compile --generate-hashes file; unpinned lines refused."""
    pins: dict[str, tuple[str, list[str]]] = {}
    logical = ""
    for raw in path.read_text().splitlines() + [""]:
        line = raw.split("#", 1)[0].rstrip() if not raw.lstrip().startswith("--hash") else raw.strip()
        if line.endswith("\\"):
            logical += line[:-1] + " "
            continue
        logical += line
        entry, logical = logical.strip(), ""
        if not entry or entry.startswith(("-c ", "-r ")):
            continue
        match = PIN.match(entry)
        if not match:
            raise ValueError(f"{path.name}: not pinned with ==: {entry.split()[0]}")
        hashes = HASH.findall(entry)
        if not hashes:
            raise ValueError(f"{path.name}: {match.group(1)} has no --hash")
        pins[canonical(match.group(1))] = (match.group(2), hashes)
    return pins


def installed(name: str, version: str) -> metadata.Distribution:
    try:
        dist = metadata.distribution(name)
    except metadata.PackageNotFoundError:
        raise ValueError(f"{name} {version} is pinned but not installed: run make first") from None
    if dist.version != version:
        raise ValueError(f"{name} {dist.version} is installed but {version} is pinned: run make first")
    return dist


def licences(dist: metadata.Distribution) -> list[dict[str, object]]:
    meta = dist.metadata
    expression = meta["License-Expression"]
    if expression:
        return [{"expression": expression}]
    found = [c.split("::")[-1].strip() for c in meta.get_all("Classifier") or [] if c.startswith("License ::")]
    short = (meta["License"] or "").strip()
    if not found and short and "\n" not in short and len(short) < 80:
        found = [short]
    return [{"license": {"name": n}} for n in found]


def requires(name: str, dist: metadata.Distribution, pinned: dict[str, str]) -> list[str]:
    """Canonical names of the pinned packages this distribution needs on this Python and platform, no extras."""
    environment: dict[str, str] = {**{k: str(v) for k, v in default_environment().items()}, "extra": ""}
    needed: set[str] = set()
    for line in dist.requires or []:
        try:
            req = Requirement(line)
        except InvalidRequirement as exc:
            raise ValueError(f"{name}: unreadable requirement {line!r}") from exc
        if req.marker is not None and not req.marker.evaluate(environment):
            continue
        dep = canonical(req.name)
        if dep not in pinned:
            raise ValueError(f"{name} requires {dep}, which is not pinned: run make lock")
        if not req.specifier.contains(pinned[dep], prereleases=True):
            raise ValueError(f"{name} requires {req}, but {dep} {pinned[dep]} is pinned")
        needed.add(dep)
    return sorted(needed)


def build(requirements: Path) -> dict[str, object]:
    components = []
    pins = read_pins(requirements)
    pinned = {name: version for name, (version, _hashes) in pins.items()}
    graph: dict[str, list[str]] = {}
    for name, (version, hashes) in sorted(pins.items()):
        purl = f"pkg:pypi/{name}@{version}"
        component: dict[str, object] = {
            "type": "library", "bom-ref": purl, "name": name, "version": version, "purl": purl,
            "hashes": [{"alg": "SHA-256", "content": h} for h in hashes],
        }
        dist = installed(name, version)
        found = licences(dist)
        if found:
            component["licenses"] = found
        components.append(component)
        graph[name] = requires(name, dist, pinned)
    ref = {name: f"pkg:pypi/{name}@{version}" for name, version in pinned.items()}
    required = {dep for deps in graph.values() for dep in deps}
    top = sorted(name for name in graph if name not in required)
    return {
        "bomFormat": "CycloneDX", "specVersion": "1.5", "serialNumber": f"urn:uuid:{uuid.uuid4()}", "version": 1,
        "metadata": {
            "timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "tools": {"components": [{"type": "application", "name": "deploy/sbom.py"}]},
            "component": {"type": "application", "bom-ref": "dayanisma", "name": "dayanisma"},
        },
        "components": components,
        "dependencies": [{"ref": "dayanisma", "dependsOn": [ref[n] for n in top]}]
        + [{"ref": ref[name], "dependsOn": [ref[d] for d in deps]} for name, deps in sorted(graph.items())],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("-r", "--requirements", type=Path, default=ROOT / "requirements.txt")
    parser.add_argument("-o", "--output", type=Path, default=ROOT / "sbom.cdx.json")
    args = parser.parse_args(argv)
    try:
        bom = build(args.requirements)
    except ValueError as exc:
        print(f"sbom: {exc}", file=sys.stderr)
        return 2
    args.output.write_text(json.dumps(bom, indent=2) + "\n")
    print(f"{args.output}: {len(bom['components'])} components")  # type: ignore[arg-type]
    return 0


if __name__ == "__main__":
    sys.exit(main())
