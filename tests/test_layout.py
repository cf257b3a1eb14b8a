"""The layout rules of README.md ("Where new code goes"), checked on the source: one package per sub-domain with the
same file names, imports one way, and every slice's views, models, panels and statistics listed in its package's
``registry.py``. Pure source reading (no app, no database)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SLICE_FILES = {"__init__.py", "models.py", "forms.py", "services.py", "views.py", "panels.py", "reports.py", "cli.py"}
# Files a slice has beyond the common set, each for a reason named in its docstring.
EXTRA_FILES = {
    ("cases", "core"): {"access.py", "policies.py", "labels.py", "errors.py", "blueprint.py"},
    ("cases", "casefile"): {"page.py"},
    ("cases", "risk"): {"checklist.py"},
    ("cases", "kvkk"): {"labels.py"},  # the data inventory's human labels, one per stored field kind
    ("cases", "intake"): {"applications.py"},  # a new application carried into her existing file (issue 16)
    ("shelters", "core"): {"policies.py", "labels.py", "errors.py", "blueprint.py"},
    ("shelters", "admissions"): {"resident_view.py"},  # the one module that reads a case for a shelter
}
TOP_LEVEL = {"__init__.py", "registry.py", "demo.py", "generate.py"}
# What shelters may import from cases (README: "the interface named in shelters/registry.py").
SHELTERS_MAY_USE = {"cases.core.models", "cases.core.policies", "cases.intake.services", "cases.retention.services",
                    "cases.plans.models", "cases.generate", "cases.inquiries.services", "cases.equality.reports"}


def _slices(package: str) -> list[str]:
    return sorted(p.name for p in (ROOT / package).iterdir() if p.is_dir() and (p / "__init__.py").exists())


def _imports(path: Path) -> set[str]:
    """Every module a file imports (``from a.b import c`` counts as ``a.b`` and, when ``a.b.c`` is a module, that)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            for alias in node.names:
                candidate = ROOT / Path(*node.module.split("."), alias.name)
                if candidate.with_suffix(".py").exists() or (candidate / "__init__.py").exists():
                    found.add(f"{node.module}.{alias.name}")
    return found


def _modules(package: str) -> list[tuple[str, Path]]:
    return [(".".join(p.relative_to(ROOT).with_suffix("").parts), p) for p in sorted((ROOT / package).rglob("*.py"))]


@pytest.mark.parametrize("package", ["cases", "shelters"])
def test_every_slice_has_the_common_file_set_and_no_stray_files(package: str) -> None:
    top = {p.name for p in (ROOT / package).iterdir() if p.is_file() and p.suffix == ".py"}
    assert top <= TOP_LEVEL, f"stray module at the top of {package}/: {sorted(top - TOP_LEVEL)}"
    for name in _slices(package):
        files = {p.name for p in (ROOT / package / name).iterdir() if p.suffix == ".py"}
        allowed = SLICE_FILES | EXTRA_FILES.get((package, name), set())
        assert files <= allowed, f"{package}/{name}/ has files outside the slice file set: {sorted(files - allowed)}"
        assert not [p for p in (ROOT / package / name).iterdir() if p.is_dir() and p.name != "__pycache__"], \
            f"{package}/{name}/ nests packages"


@pytest.mark.parametrize("package", ["cases", "shelters"])
def test_core_imports_no_slice(package: str) -> None:
    slices = [s for s in _slices(package) if s != "core"]
    for module, path in _modules(f"{package}/core"):
        bad = {m for m in _imports(path) if any(m == f"{package}.{s}" or m.startswith(f"{package}.{s}.")
                                                  for s in slices)}
        assert not bad, f"{module} imports slices {sorted(bad)}: core must not depend on a slice"


@pytest.mark.parametrize("package", ["cases", "shelters"])
def test_no_slice_imports_another_slices_views(package: str) -> None:
    for module, path in _modules(package):
        if module.endswith(".registry"):
            continue
        own = module.split(".")[1] if module.count(".") >= 2 else None
        for imported in _imports(path):
            parts = imported.split(".")
            if parts[0] == package and len(parts) >= 3 and parts[2] == "views" and parts[1] != own:
                pytest.fail(f"{module} imports {imported}: a slice never imports another slice's views")


def test_shelters_use_cases_only_through_the_named_interface() -> None:
    for module, path in _modules("shelters"):
        used = {m for m in _imports(path) if m == "cases" or m.startswith("cases.")}
        # "from cases.core import models" records both cases.core and cases.core.models: keep the deepest.
        used = {m for m in used if not any(other.startswith(m + ".") for other in used)}
        assert used <= SHELTERS_MAY_USE, f"{module} uses {sorted(used - SHELTERS_MAY_USE)} of cases"


@pytest.mark.parametrize("package", ["cases", "shelters"])
def test_the_registry_lists_every_views_models_panels_and_reports_module(package: str) -> None:
    registered = _imports(ROOT / package / "registry.py")
    for name in _slices(package):
        for kind in ("views", "models", "panels", "reports", "cli"):
            if (ROOT / package / name / f"{kind}.py").exists() and kind in ("views", "panels", "reports") \
                    and name != "core":  # core/reports.py holds the helpers the slices' tables share
                assert f"{package}.{name}.{kind}" in registered, \
                    f"{package}/{name}/{kind}.py is not listed in {package}/registry.py"
            if kind == "models" and (ROOT / package / name / "models.py").exists():
                assert f"{package}.{name}.models" in registered, \
                    f"{package}/{name}/models.py is not listed in {package}/registry.py (Alembic would miss it)"
