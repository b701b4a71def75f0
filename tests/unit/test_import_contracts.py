"""Import contracts: who may import whom. Read statically from the source
(every ``import``, also inside functions and ``TYPE_CHECKING`` blocks), so a
contract breaks the moment someone writes the import, not when it runs.

- A route imports no other route; shared reads live in ``serve_app.queries``,
  shared ingest code in ``serve_app.ingest``.
- Nothing in ``serve_app`` but the app assembly (``app``, ``deployment``)
  imports a route: infrastructure (context, auth, caching, the socket,
  ingest) stands below the routes.
- ``serve_app`` has no import cycle.
- The layers of ARCHITECTURE.md: the domain core imports no other NOC layer;
  storage imports neither actors nor the app; actors do not import the app.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("noc_actors", "serve_app")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    found = {
        _module_name(path): path
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
        if "migrations" not in path.parts
    }
    assert len(found) > 100, "the packages seem to be missing modules"
    return found


MODULES = _modules()


def _imports(name: str, path: Path) -> Iterator[str]:
    """Every NOC module ``name`` imports (``from a import b`` counts as ``a.b``
    when that is a module, else as ``a``)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            targets = [
                f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base for a in node.names
            ]
        else:
            continue
        for target in targets:
            while target and target not in MODULES:
                target = target.rpartition(".")[0]
            if target and target != name:
                yield target


GRAPH = {name: set(_imports(name, path)) for name, path in MODULES.items()}


def _is_route(name: str) -> bool:
    return name.startswith("serve_app.routes.")


def test_no_route_imports_another_route() -> None:
    bad = {n: sorted(filter(_is_route, deps)) for n, deps in GRAPH.items() if _is_route(n)}
    assert {n: deps for n, deps in bad.items() if deps} == {}


def test_only_the_app_assembly_imports_routes() -> None:
    assembly = {"serve_app.app", "serve_app.deployment", "serve_app.routes"}
    bad = {
        n: sorted(filter(_is_route, deps))
        for n, deps in GRAPH.items()
        if n.startswith("serve_app") and not _is_route(n) and n not in assembly
    }
    assert {n: deps for n, deps in bad.items() if deps} == {}


def _cycle_from(start: str, within: str) -> list[str] | None:
    """A cycle through ``start`` among the modules under ``within``, if any."""
    stack: list[tuple[str, list[str]]] = [(start, [start])]
    seen: set[str] = set()
    while stack:
        node, path = stack.pop()
        for dep in GRAPH[node]:
            if not dep.startswith(within):
                continue
            if dep == start:
                return [*path, start]
            if dep not in seen:
                seen.add(dep)
                stack.append((dep, [*path, dep]))
    return None


def test_serve_app_has_no_import_cycle() -> None:
    cycles = [c for n in GRAPH if n.startswith("serve_app") if (c := _cycle_from(n, "serve_app"))]
    assert cycles == [], " -> ".join(cycles[0])


def test_the_context_and_auth_import_no_route_and_no_app_assembly() -> None:
    for infra in ("serve_app.context", "serve_app.auth", "serve_app.caller"):
        reach = _reachable(infra)
        assert not any(_is_route(m) for m in reach), infra
        assert not reach & {"serve_app.app", "serve_app.deployment"}, infra


def _reachable(start: str) -> set[str]:
    todo, seen = [start], set()
    while todo:
        for dep in GRAPH[todo.pop()]:
            if dep not in seen:
                seen.add(dep)
                todo.append(dep)
    return seen


LAYERS = {
    "noc_actors.domain": ("noc_actors.store", "noc_actors.runtime", "noc_actors.actors"),
    "noc_actors.store": ("noc_actors.runtime", "noc_actors.actors"),
    "noc_actors.runtime": ("noc_actors.actors",),
    "noc_actors": ("serve_app",),
}
"""A package and what it may not import: the layers of ARCHITECTURE.md,
bottom up (domain, storage, runtime, actors, the Serve app)."""

ENTRY_POINTS = ("noc_actors.cli",)
"""The ``noc`` command starts the whole stack, the Serve app included."""


def test_each_layer_imports_only_the_layers_below_it() -> None:
    bad = {}
    for name, deps in GRAPH.items():
        if name.startswith(ENTRY_POINTS):
            continue
        for layer, forbidden in LAYERS.items():
            if name == layer or name.startswith(layer + "."):
                hits = {d for d in deps if d.startswith(forbidden)}
                if hits:
                    bad[name] = sorted(hits)
    assert bad == {}


def test_the_contracts_see_imports_inside_functions_and_relative_ones() -> None:
    """The graph is only as good as its parser: a lazy import inside a
    function (how cycles hide) and the app's route list must be seen."""
    assert "serve_app.routes.health" in GRAPH["serve_app.app"]
    assert "serve_app.context" in GRAPH["serve_app.deps"]
    assert "noc_actors.domain.events" in GRAPH["noc_actors.demo.feed"]  # inside a method
    assert "noc_actors.actors.client" in GRAPH["noc_actors.demo.feed"]  # under TYPE_CHECKING
