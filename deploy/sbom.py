"""``make sbom``: a CycloneDX 1.5 SBOM of the dependencies the app ships, from the hash-pinned requirements.txt.

    .venv/bin/python deploy/sbom.py [-o sbom.cdx.json]

One component per pinned package: name, version, its purl, and the SHA-256 of every published file that
``pip install --require-hashes`` accepts for it (so the SBOM names exactly what can be installed, whatever the
platform's wheel). Licences come from the installed package's metadata when the package is installed here; an
installed version that differs from the pin is an error (the SBOM would describe something else). Standard library
only: the tool that lists the supply chain adds nothing to it. Dev tools (requirements-dev.txt) are not shipped.
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


def licences(name: str, version: str) -> list[dict[str, object]]:
    try:
        meta = metadata.metadata(name)
    except metadata.PackageNotFoundError:
        return []
    if meta["Version"] != version:
        raise ValueError(f"{name} {meta['Version']} is installed but {version} is pinned: run make first")
    expression = meta.get("License-Expression")
    if expression:
        return [{"expression": expression}]
    found = [c.split("::")[-1].strip() for c in meta.get_all("Classifier") or [] if c.startswith("License ::")]
    short = (meta.get("License") or "").strip()
    if not found and short and "\n" not in short and len(short) < 80:
        found = [short]
    return [{"license": {"name": n}} for n in found]


def build(requirements: Path) -> dict[str, object]:
    components = []
    for name, (version, hashes) in sorted(read_pins(requirements).items()):
        purl = f"pkg:pypi/{name}@{version}"
        component: dict[str, object] = {
            "type": "library", "bom-ref": purl, "name": name, "version": version, "purl": purl,
            "hashes": [{"alg": "SHA-256", "content": h} for h in hashes],
        }
        found = licences(name, version)
        if found:
            component["licenses"] = found
        components.append(component)
    return {
        "bomFormat": "CycloneDX", "specVersion": "1.5", "serialNumber": f"urn:uuid:{uuid.uuid4()}", "version": 1,
        "metadata": {
            "timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "tools": {"components": [{"type": "application", "name": "deploy/sbom.py"}]},
            "component": {"type": "application", "bom-ref": "dayanisma", "name": "dayanisma"},
        },
        "components": components,
        "dependencies": [{"ref": "dayanisma", "dependsOn": [c["bom-ref"] for c in components]}],
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
