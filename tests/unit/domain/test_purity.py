"""The domain core imports no Ray, web, database or cache library."""

from __future__ import annotations

import ast
from pathlib import Path

import noc_actors.domain as domain

FORBIDDEN = {"ray", "fastapi", "sqlalchemy", "redis", "asyncpg", "aiosqlite", "starlette"}


def _imported_roots(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    roots: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def test_domain_core_imports_no_ray_web_database_or_cache_library() -> None:
    files = sorted(Path(domain.__file__).parent.rglob("*.py"))
    assert len(files) >= 10, "the domain package seems to be missing modules"
    offenders = {
        str(f.relative_to(Path(domain.__file__).parent)): sorted(_imported_roots(f) & FORBIDDEN)
        for f in files
    }
    assert {f: bad for f, bad in offenders.items() if bad} == {}


def test_domain_core_never_reads_the_clock() -> None:
    """Rules take ``now``; a call to datetime.now/utcnow/time.time is a bug."""
    bad = []
    for f in Path(domain.__file__).parent.rglob("*.py"):
        text = f.read_text()
        for needle in ("datetime.now(", "datetime.utcnow(", "time.time(", "date.today("):
            if needle in text:
                bad.append(f"{f.name}: {needle}")
    assert bad == []
