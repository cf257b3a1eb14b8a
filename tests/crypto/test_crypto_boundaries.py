"""Architecture: crypto/ imports no Flask and nothing from the app's feature packages."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

CRYPTO = Path(__file__).resolve().parents[2] / "crypto"
FORBIDDEN = ("flask", "app", "cases", "shelters", "flask_sqlalchemy")


@pytest.mark.parametrize("path", sorted(CRYPTO.glob("*.py")), ids=lambda p: p.name)
def test_no_forbidden_imports(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            imported.add(node.module.split(".")[0])
    assert not imported & set(FORBIDDEN), imported & set(FORBIDDEN)


def test_package_scan_is_not_empty() -> None:
    assert len(list(CRYPTO.glob("*.py"))) >= 8
