"""The domain packages never import Streamlit, and helper modules never sit inside pages/."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOMAIN = ("portal", "letters", "stories")


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", [p for d in DOMAIN for p in sorted((ROOT / d).rglob("*.py"))],
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_domain_module_does_not_import_streamlit(path):
    assert not any(m == "streamlit" or m.startswith("streamlit.") for m in imported_modules(path))


def test_pages_folder_holds_only_pages():
    # Streamlit turns every file in pages/ into a page, so shared code must live in web/.
    for path in (ROOT / "pages").glob("*.py"):
        source = path.read_text(encoding="utf-8")
        assert "start_page(" in source or "start_moderator_page(" in source, path.name
