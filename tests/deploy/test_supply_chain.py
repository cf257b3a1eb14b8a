"""Supply chain: every dependency pinned with hashes and installed with --require-hashes; the SBOM names them all."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from deploy import sbom

ROOT = Path(__file__).resolve().parents[2]
REQUIREMENTS = ("requirements.txt", "requirements-dev.txt")


def pins_of_in(path: Path) -> dict[str, str]:
    pins = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            name, _, version = line.partition("==")
            assert version, f"{path.name}: {line} is not pinned with =="
            pins[sbom.canonical(name)] = version
    return pins


@pytest.mark.parametrize("name", REQUIREMENTS)
def test_every_requirement_is_pinned_with_its_hashes(name: str) -> None:
    pins = sbom.read_pins(ROOT / name)
    assert len(pins) > 10
    for package, (version, hashes) in pins.items():
        assert re.fullmatch(r"[0-9][0-9A-Za-z.+!-]*", version), package
        assert hashes and all(len(h) == 64 for h in hashes), package
    # The compiled file is not stale: everything pinned in the .in file is there at the same version.
    wanted = pins_of_in(ROOT / name.replace(".txt", ".in"))
    assert {p: pins[p][0] for p in wanted if p in pins} == wanted


def test_a_pin_without_a_hash_or_a_range_is_refused(tmp_path: Path) -> None:
    unhashed = tmp_path / "r.txt"
    unhashed.write_text("flask==3.1.3\n")
    with pytest.raises(ValueError, match="no --hash"):
        sbom.read_pins(unhashed)
    ranged = tmp_path / "s.txt"
    ranged.write_text("flask>=3 \\\n    --hash=sha256:" + "a" * 64 + "\n")
    with pytest.raises(ValueError, match="not pinned"):
        sbom.read_pins(ranged)


def test_make_installs_both_files_with_require_hashes() -> None:
    recipe = subprocess.run(["make", "-n", "-B", "-C", str(ROOT), ".venv/.installed", ".venv/.installed-dev"],
                            capture_output=True, text=True, check=True).stdout
    installs = [line for line in recipe.splitlines() if " install " in line and "pip" in line]
    assert {r for r in REQUIREMENTS if any(f"-r {r}" in line for line in installs)} == set(REQUIREMENTS)
    assert installs and all("--require-hashes" in line for line in installs), installs


def test_make_sbom_lists_every_shipped_package_with_its_hashes(tmp_path: Path) -> None:
    out = tmp_path / "sbom.cdx.json"
    done = subprocess.run([sys.executable, str(ROOT / "deploy" / "sbom.py"), "-o", str(out)],
                          capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    bom = json.loads(out.read_text())
    assert (bom["bomFormat"], bom["specVersion"], bom["version"]) == ("CycloneDX", "1.5", 1)
    assert re.fullmatch(r"urn:uuid:[0-9a-f-]{36}", bom["serialNumber"])
    shipped = sbom.read_pins(ROOT / "requirements.txt")
    components = {c["name"]: c for c in bom["components"]}
    assert set(components) == set(shipped)          # all runtime packages, and no test tool
    assert "pytest" not in components and "flask" in components and "cryptography" in components
    for name, (version, hashes) in shipped.items():
        c = components[name]
        assert (c["version"], c["purl"], c["type"]) == (version, f"pkg:pypi/{name}@{version}", "library")
        assert sorted(h["content"] for h in c["hashes"] if h["alg"] == "SHA-256") == sorted(hashes)
    # Installed here, so each has its licence from the package metadata.
    assert components["flask"].get("licenses") and components["cryptography"].get("licenses")
    # The dependency graph: one entry per component and the app, every edge to a component of this SBOM.
    root = bom["metadata"]["component"]["bom-ref"]
    graph = {d["ref"]: d["dependsOn"] for d in bom["dependencies"]}
    refs = {c["bom-ref"] for c in bom["components"]}
    assert len(bom["dependencies"]) == len(graph) == len(refs) + 1 and set(graph) == refs | {root}
    assert all(set(deps) <= refs for deps in graph.values())

    def ref(name: str) -> str:
        return components[name]["bom-ref"]

    for parent, child in (("flask", "werkzeug"), ("flask", "jinja2"), ("jinja2", "markupsafe"),
                          ("cryptography", "cffi"), ("flask-limiter", "limits"), ("flask-migrate", "alembic")):
        assert ref(child) in graph[ref(parent)], (parent, child)
    assert graph[ref("markupsafe")] == []
    # The app depends on what no other package requires; everything shipped is reachable from it.
    assert ref("flask-login") in graph[root] and ref("gunicorn") in graph[root]
    assert ref("flask") not in graph[root] and ref("markupsafe") not in graph[root]
    seen, todo = set(), [root]
    while todo:
        for dep in graph[todo.pop()]:
            if dep not in seen:
                seen.add(dep)
                todo.append(dep)
    assert seen == refs


def test_sbom_refuses_an_installed_version_that_differs_from_the_pin(tmp_path: Path) -> None:
    req = tmp_path / "requirements.txt"
    req.write_text("flask==0.0.1 \\\n    --hash=sha256:" + "b" * 64 + "\n")
    done = subprocess.run([sys.executable, str(ROOT / "deploy" / "sbom.py"), "-r", str(req), "-o",
                           str(tmp_path / "out.json")], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 2 and "0.0.1 is pinned" in done.stderr
    assert not (tmp_path / "out.json").exists()


@pytest.mark.parametrize(("pins", "error"), [
    (["flask==3.1.3"], "flask requires blinker"),                         # a requirement left out of the lock
    (["no-such-package-here==1.0"], "pinned but not installed"),
])
def test_sbom_refuses_a_graph_it_cannot_draw(tmp_path: Path, pins: list[str], error: str) -> None:
    req = tmp_path / "requirements.txt"
    req.write_text("".join(f"{pin} \\\n    --hash=sha256:{'d' * 64}\n" for pin in pins))
    with pytest.raises(ValueError, match=error):
        sbom.build(req)
