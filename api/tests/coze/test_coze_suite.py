"""The suite's own rules: plain tests stay plain, parity dispatch stays with parity, raised errors die with their test.

A unit test that awaits nothing is a plain ``def``: an ``async def`` would only make a reader look
for the await. The sync/async dispatch of ``tests.coze.parity`` exists so one text drives both
clients; a test of one client calls the project's function directly, so only step definitions
and tests marked ``parity`` may use the dispatch. A parametrized exception is a factory: a raised
instance keeps the frames of every test that raised it.
"""

from __future__ import annotations

import ast
import importlib
from collections.abc import Iterable, Iterator
from functools import partial
from pathlib import Path
from types import ModuleType

import pytest

COZE_TESTS = Path(__file__).parent
STEPS = COZE_TESTS / "steps"
PARITY_MODULE = "tests.coze.parity"
#: Names of the parity module that are types, not dispatch: any test may annotate with them.
PARITY_TYPES = frozenset({"AnyCoze"})

Test = ast.FunctionDef | ast.AsyncFunctionDef


def _mark_names(nodes: list[ast.expr]) -> set[str]:
    """The ``pytest.mark.<name>`` names used in ``nodes`` (decorators or a ``pytestmark`` value)."""
    return {
        node.attr
        for expr in nodes
        for node in ast.walk(expr)
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Attribute) and node.value.attr == "mark"
    }


def _module_marks(tree: ast.Module) -> set[str]:
    values = [
        node.value
        for node in tree.body
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "pytestmark" for t in node.targets)
    ]
    return _mark_names(values)


def _tests(tree: ast.Module) -> Iterator[tuple[Test, set[str]]]:
    """Every test function with the marks of the module, its class and itself."""
    module = _module_marks(tree)
    for node in tree.body:
        if isinstance(node, Test) and node.name.startswith("test"):
            yield node, module | _mark_names(node.decorator_list)
        elif isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
            cls = module | _mark_names(node.decorator_list)
            for item in node.body:
                if isinstance(item, Test) and item.name.startswith("test"):
                    yield item, cls | _mark_names(item.decorator_list)


@pytest.fixture(scope="module")
def trees() -> dict[Path, ast.Module]:
    """Every Python file of the Coze suite, parsed once for the checks below and let go after them."""
    return {path: ast.parse(path.read_text(encoding="utf-8")) for path in COZE_TESTS.rglob("*.py")}


def _parsed(trees: dict[Path, ast.Module], paths: Iterable[Path]) -> Iterator[tuple[str, ast.Module]]:
    for path in sorted(paths):
        yield str(path.relative_to(COZE_TESTS)), trees[path]


def _dispatch_imported(tree: ast.Module) -> set[str]:
    return {
        alias.asname or alias.name
        for node in tree.body
        if isinstance(node, ast.ImportFrom) and node.module == PARITY_MODULE
        for alias in node.names
    } - PARITY_TYPES


class TestCozeSuitePlainTests:
    """Async tests are async because they await."""

    def test_tests_that_await_nothing_are_plain(self, trees: dict[Path, ast.Module]) -> None:
        """No ``async def`` test lacks an ``await``, ``async for`` or ``async with``."""
        awaiting = (ast.Await, ast.AsyncFor, ast.AsyncWith)
        pointless = [
            f"{name}:{test.lineno} {test.name}"
            for name, tree in _parsed(trees, COZE_TESTS.rglob("test_*.py"))
            for test, _ in _tests(tree)
            if isinstance(test, ast.AsyncFunctionDef) and not any(isinstance(n, awaiting) for n in ast.walk(test))
        ]
        assert pointless == []


class TestCozeSuiteParityDispatch:
    """The dispatch serves step definitions and ``parity`` tests only."""

    def test_only_test_and_step_modules_import_the_dispatch(self, trees: dict[Path, ast.Module]) -> None:
        """Fixtures and helpers outside ``steps/`` (conftest, the wire helper) never dispatch on the client kind."""
        importers = [
            name
            for name, tree in _parsed(trees, COZE_TESTS.rglob("*.py"))
            if _dispatch_imported(tree) and not (Path(name).name.startswith("test_") or Path(name).parts[0] == "steps")
        ]
        assert importers == []

    def test_unit_tests_using_the_dispatch_are_parity_tests(self, trees: dict[Path, ast.Module]) -> None:
        """A unit test that calls a dispatch helper runs for both clients, so it carries ``parity``."""
        offenders = []
        for name, tree in _parsed(trees, COZE_TESTS.glob("test_*.py")):
            dispatch = _dispatch_imported(tree)
            for test, marks in _tests(tree):
                used = {node.id for node in ast.walk(test) if isinstance(node, ast.Name)} & dispatch
                if used and "parity" not in marks:
                    offenders.append(f"{name}:{test.lineno} {test.name} uses {sorted(used)}")
        assert offenders == []

    def test_the_checks_see_marks_and_imports(self) -> None:
        """The source walk finds module, class and function marks and the dispatch import."""
        tree = ast.parse(
            "from tests.coze.parity import AnyCoze, read\n"
            "pytestmark = [pytest.mark.asyncio, pytest.mark.covers('FR-001')]\n"
            "@pytest.mark.parity\n"
            "class TestA:\n"
            "    @pytest.mark.golden('x')\n"
            "    async def test_a(self): await read()\n"
        )
        [(test, marks)] = list(_tests(tree))
        assert (test.name, marks) == ("test_a", {"asyncio", "covers", "parity", "golden"})
        assert _dispatch_imported(tree) == {"read"}


def _exceptions_in(value: object) -> bool:
    """Whether ``value`` is an exception instance or holds one (in a tuple, list, ``pytest.param`` or dict)."""
    if isinstance(value, dict):
        return any(_exceptions_in(item) for item in value.values())
    if isinstance(value, list | tuple):  # pytest.param is a tuple of values, marks and id
        return any(_exceptions_in(item) for item in value)
    return isinstance(value, BaseException)


def _parametrize_values(module: ModuleType) -> Iterator[tuple[str, object]]:
    """The argument values of every ``parametrize`` mark of a test module, on its module, classes and tests."""
    holders: list[tuple[str, object]] = [(module.__name__, module)]
    for name, value in vars(module).items():
        if isinstance(value, type) and name.startswith("Test"):
            holders.append((name, value))
            tests = [(f"{name}.{test}", method) for test, method in vars(value).items() if test.startswith("test")]
            holders.extend(tests)
        elif callable(value) and name.startswith("test"):
            holders.append((name, value))
    for where, holder in holders:
        marks = getattr(holder, "pytestmark", [])
        for mark in marks if isinstance(marks, list) else [marks]:
            # A decorator stores a Mark; a ``pytestmark`` assignment holds MarkDecorators.
            mark = mark.mark if isinstance(mark, pytest.MarkDecorator) else mark
            if isinstance(mark, pytest.Mark) and mark.name == "parametrize":
                yield where, mark.kwargs.get("argvalues", mark.args[1:2])


class TestCozeSuiteRaisedExceptions:
    """Nothing a test raises outlives it."""

    def test_no_parameter_is_an_exception_instance(self) -> None:
        """Parametrized exceptions are factories: a shared instance keeps the frames of every test that raised it."""
        # Every unit-test module, imported if this run did not collect it, so a partial run checks them all.
        modules = [importlib.import_module(f"tests.coze.{path.stem}") for path in sorted(COZE_TESTS.glob("test_*.py"))]
        instances = [
            f"{module.__name__}: {where}"
            for module in modules
            for where, values in _parametrize_values(module)
            if _exceptions_in(values)
        ]
        assert instances == []

    def test_the_check_sees_exception_instances(self) -> None:
        """Instances are found wherever a parameter can hold them; classes and factories are not instances."""
        assert _exceptions_in([(AssertionError, KeyError("x"))])
        assert _exceptions_in([pytest.param(KeyError("x"), id="k")])
        assert _exceptions_in([{"error": KeyError("x")}])
        assert not _exceptions_in([(AssertionError, partial(KeyError, "x")), KeyError])

    def test_the_check_sees_every_parametrize_mark(self) -> None:
        """Marks on the module (``pytestmark``), on a class and on its tests, and on a plain test are all read."""
        module = ModuleType("tests.coze.test_example")
        module.pytestmark = [pytest.mark.asyncio, pytest.mark.parametrize("a", [1])]  # type: ignore[attr-defined]

        @pytest.mark.parametrize("b", [2])
        class TestExample:
            @pytest.mark.parametrize("c", [3])
            def test_c(self) -> None: ...

        @pytest.mark.parametrize("d", [4])
        def test_d() -> None: ...

        module.TestExample, module.test_d = TestExample, test_d  # type: ignore[attr-defined]
        assert dict(_parametrize_values(module)) == {
            "tests.coze.test_example": ([1],),
            "TestExample": ([2],),
            "TestExample.test_c": ([3],),
            "test_d": ([4],),
        }
