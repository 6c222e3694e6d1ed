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


def test_every_page_url_is_its_file_name():
    # A fresh server knows pages by file name until app.py has run once; the router must agree,
    # or the first visitor to a deep link meets "page not found".
    from web.menu import ADMIN_PAGES, LOGIN_PAGE, MODERATOR_PAGES, PUBLIC_PAGES

    for entry in PUBLIC_PAGES + MODERATOR_PAGES + ADMIN_PAGES + (LOGIN_PAGE,):
        stem = Path(entry.path).stem
        assert entry.url_path in (None, stem) or (entry.default and entry.url_path is None), entry
        assert (ROOT / entry.path).exists(), entry.path
