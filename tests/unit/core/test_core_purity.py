"""The core stays pure: no I/O libraries, no clock reads (docs/design.md, "Pure core")."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import router.core

CORE = Path(router.core.__file__).parent
MODULES = sorted(CORE.glob("*.py"))

FORBIDDEN_MODULES = {
    "redis",
    "faust",
    "mode",
    "aiokafka",
    "confluent_kafka",
    "asyncio",
    "socket",
    "time",
    "os",
    "io",
    "pathlib",
    "subprocess",
    "threading",
    "random",
    "router.state",
    "router.streams",
    "router.cli",
}
FORBIDDEN_CALLS = {
    "time.time",
    "time.monotonic",
    "time.perf_counter",
    "time.time_ns",
    "datetime.now",
    "datetime.utcnow",
    "datetime.today",
    "date.today",
    "datetime.datetime.now",
    "open",
    "print",
    "input",
    "eval",
    "exec",
}


def _dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return ""


def _root_matches(name: str) -> bool:
    return any(name == m or name.startswith(m + ".") for m in FORBIDDEN_MODULES)


def test_core_has_modules() -> None:
    assert len(MODULES) >= 10


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_module_has_no_forbidden_imports_or_calls(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    problems: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            problems += [f"import {a.name}" for a in node.names if _root_matches(a.name)]
        elif isinstance(node, ast.ImportFrom) and node.module and _root_matches(node.module):
            problems.append(f"from {node.module} import ...")
        elif isinstance(node, ast.Call) and _dotted(node.func) in FORBIDDEN_CALLS:
            problems.append(f"call {_dotted(node.func)}() at line {node.lineno}")
        elif isinstance(node, ast.AsyncFunctionDef | ast.Await):
            problems.append(f"async code at line {node.lineno}")
    assert problems == [], f"{path.name}: {problems}"


def test_importing_the_core_loads_no_io_library() -> None:
    code = (
        "import sys, router.core\n"
        "bad = [m for m in ('redis', 'faust', 'aiokafka', 'confluent_kafka', 'asyncio', 'socket')"
        " if m in sys.modules]\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
