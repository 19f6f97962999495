"""Every public function, class and method of services/, wechat/ and webhooks/ says what it does."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("wxauth/services", "wxauth/wechat", "wxauth/webhooks")


def _undocumented(path: Path) -> list[str]:
    missing = []
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and not node.name.startswith("_"):
            if not ast.get_docstring(node):
                missing.append(node.name)
            if isinstance(node, ast.ClassDef):
                missing += [
                    f"{node.name}.{m.name}"
                    for m in node.body
                    if isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef))
                    and not m.name.startswith("_")
                    and not ast.get_docstring(m)
                ]
    return missing


@pytest.mark.parametrize("path", [p for package in PACKAGES for p in sorted((ROOT / package).glob("*.py"))], ids=str)
def test_public_names_have_docstrings(path):
    assert _undocumented(path) == []


def test_the_check_sees_a_missing_docstring(tmp_path):
    module = tmp_path / "m.py"
    module.write_text(
        'def f():\n    pass\n\n\nclass C:\n    """C."""\n\n    def g(self):\n        pass\n\n    def _h(self):\n        pass\n'
    )
    assert _undocumented(module) == ["f", "C.g"]
