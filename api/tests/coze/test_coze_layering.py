"""The runtime package's modules import each other in one direction only: no circle, nothing upward.

The layering is written down here; a module may import only modules of a lower layer. Every
import counts, including those under ``if TYPE_CHECKING:`` and inside functions, because a circle
there is still a circle for a reader.
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path

import coze_integration

PACKAGE = "coze_integration"

#: Lowest layer first. Same-layer imports are refused too, so no two modules can form a circle.
LAYERS: tuple[frozenset[str], ...] = (
    frozenset({"wire_repairs"}),  # rewrites response bodies cozepy cannot read
    frozenset({"wire"}),  # response hooks: the last exchange, how a stream ended
    frozenset({"errors"}),  # the hierarchy, the translation, stream failures
    frozenset({"settings", "polling"}),  # COZE_* settings and logging; poll policy
    frozenset({"calls"}),  # typed errors and retries per call
    frozenset({"clients", "chat", "workflows"}),  # factories; chat; workflow runs and streams
    frozenset({"workflow_logs"}),  # filtering built on workflow run histories
    frozenset({"__init__"}),  # the public API
)

PACKAGE_DIR = Path(coze_integration.__file__).parent


def _layer_of(module: str) -> int:
    return next(i for i, layer in enumerate(LAYERS) if module in layer)


def _imported(source: str) -> set[str]:
    """The package's modules that ``source`` imports, by short name."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = PACKAGE if node.level else (node.module or "")
            module = f"{base}.{node.module}" if node.level and node.module else base
            names = [module] + [f"{module}.{alias.name}" for alias in node.names]
        else:
            continue
        for name in names:
            parts = name.split(".")
            if parts[0] == PACKAGE and len(parts) > 1 and (PACKAGE_DIR / f"{parts[1]}.py").exists():
                found.add(parts[1])
    return found


@functools.cache  # the package does not change during a run; every test reads the same graph
def _modules() -> dict[str, frozenset[str]]:
    return {
        path.stem: frozenset(_imported(path.read_text(encoding="utf-8"))) for path in sorted(PACKAGE_DIR.glob("*.py"))
    }


class TestCozePackageLayering:
    """The import graph of ``coze_integration``."""

    def test_every_module_has_a_layer(self) -> None:
        """A new module must be placed in the layering before it can be imported."""
        placed = set().union(*LAYERS)
        assert set(_modules()) == placed

    def test_imports_only_run_down(self) -> None:
        """No module imports one of its own layer or above, so the graph has no circle."""
        upward = [
            f"{module} imports {target}"
            for module, targets in _modules().items()
            for target in sorted(targets)
            if _layer_of(target) >= _layer_of(module)
        ]
        assert upward == []

    def test_errors_import_only_the_wire(self) -> None:
        """The error module types a stream's ``partial`` without importing chat or workflows."""
        assert _modules()["errors"] == {"wire"}

    def test_the_check_sees_imports(self) -> None:
        """The walker finds every import form, so a clean result is not a blind one."""
        source = (
            "from typing import TYPE_CHECKING\n"
            "import coze_integration.calls\n"
            "from coze_integration import chat\n"
            "from . import settings\n"
            "from .wire import record_response\n"
            "if TYPE_CHECKING:\n"
            "    from coze_integration.workflows import WorkflowProgress\n"
        )
        assert _imported(source) == {"calls", "chat", "settings", "wire", "workflows"}
