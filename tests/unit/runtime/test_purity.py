"""The runtime is host-independent: neither it nor anything it imports pulls
in Ray, a database, a cache or a web library, and it holds no module state."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import noc_actors.runtime as runtime

FORBIDDEN = ("ray", "sqlalchemy", "redis", "asyncpg", "aiosqlite", "fastapi", "starlette")


def test_importing_the_runtime_loads_no_ray_database_cache_or_web_library() -> None:
    probe = (
        "import sys, noc_actors.runtime, noc_actors.runtime.recorders\n"
        f"bad = sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r})\n"
        "print(','.join(bad))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == ""


def test_runtime_modules_hold_no_mutable_module_state() -> None:
    """Many runtimes may share a process: module-level names are constants,
    types and functions only (no dicts, lists or sets to fill)."""
    offenders = []
    for path in sorted(Path(runtime.__file__).parent.glob("*.py")):
        tree = ast.parse(path.read_text())
        for node in tree.body:
            if not isinstance(node, ast.Assign | ast.AnnAssign):
                continue
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if [ast.unparse(t) for t in targets] == ["__all__"]:
                continue
            if isinstance(node.value, ast.Dict | ast.List | ast.Set | ast.DictComp | ast.ListComp):
                offenders.append(f"{path.name}:{node.lineno}")
    assert offenders == []
