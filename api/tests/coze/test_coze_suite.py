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
import re
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


def _pytestmark(tree: ast.Module) -> list[ast.expr]:
    """The values assigned to the module's ``pytestmark``."""
    return [
        node.value
        for node in tree.body
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "pytestmark" for t in node.targets)
    ]


def _module_marks(tree: ast.Module) -> set[str]:
    return _mark_names(_pytestmark(tree))


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


#: Client initialisation and configuration, synchronous (FR-004) and asynchronous (FR-005) alike.
CLIENT_SETUP = r"\b(init\b|initiali[sz]|configur|construct|factor|build|base[ _]?url|settings)"
#: What each requirement is about, as words a test about it has in its class or docstring (all of a
#: tuple's patterns must appear). FR-002, FR-018 and FR-019 are gates of the report, not unit tests.
SUBJECTS: dict[str, tuple[str, ...]] = {
    "FR-001": (r"\b(dependenc|pyproject|install|version|import|pin|packag)",),
    "FR-003": (r"\bfixture",),
    "FR-004": (CLIENT_SETUP,),
    "FR-005": (CLIENT_SETUP,),
    "FR-006": (r"\b(bots?|workspaces?)\b",),
    "FR-007": (r"\b(chats?|messages?)\b",),
    "FR-008": (r"\bconversations?\b",),
    "FR-009": (r"\bworkflows?\b", r"\b(run|runs|stream|execut|output|end node|resum|interrupt|blocking)"),
    "FR-010": (r"\b(histor|logs?\b|results?\b|filter|polling|poll)",),
    "FR-011": (r"\b(mock|network|socket|real api|wire)",),
    "FR-012": (r"\bsample",),
    "FR-013": (r"\b(timeouts?|http client|retr|transport|httpx|proxy|pool)",),
    "FR-014": (r"\b(log(ging|ger)?|debug|level)\b",),
    "FR-015": (r"\b(auth|bearer|token|credential|secret)",),
    "FR-016": (r"\bchat", r"\b(stream|event|delta|complet)"),
    "FR-017": (r"\blogid",),
    "FR-020": (r"\b(mypy|typed|typing|types?)\b",),
}
#: ``covers`` tags whose test or class says its subject in other words: (file, class or test, requirement) and why.
COVERS_EXCEPTIONS: dict[tuple[str, str, str], str] = {
    **{
        ("test_coze_stream_failures.py", cls, "FR-016"): "its tests stream POST /v3/chat, the chat stream"
        for cls in (
            "TestCozeStreamErrorEvents",
            "TestCozeStreamMalformedEvents",
            "TestCozeStreamInterruptions",
            "TestCozeStreamFailuresBeforeAnyEvent",
        )
    },
    ("test_coze_wire_repairs.py", "test_invalid_byte_in_a_delta_is_replaced", "FR-016"): "the delta is a chat stream's",
    ("test_coze_wire_repairs.py", "test_done_without_a_final_newline_completes_the_run", "FR-009"): (
        "the run is a workflow run streamed from POST /v1/workflow/stream_run"
    ),
    ("test_coze_wire_repairs.py", "test_repaired_body_keeps_a_lone_surrogate", "FR-010"): (
        "the repaired body is a workflow run history, which the repair completes"
    ),
}


def _covers(nodes: list[ast.expr]) -> set[str]:
    """The requirement ids of the ``pytest.mark.covers(...)`` calls in ``nodes``."""
    return {
        arg.value
        for expr in nodes
        for node in ast.walk(expr)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "covers"
        for arg in node.args
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str)
    }


def _covered(tree: ast.Module) -> Iterator[tuple[str, Test, str, set[str]]]:
    """Every test: its class name, what it says it is about (class and test names, docstrings), its ``covers``."""
    module = _covers(_pytestmark(tree))
    for node in tree.body:
        if isinstance(node, Test) and node.name.startswith("test"):
            yield "", node, f"{node.name} {ast.get_docstring(node) or ''}", module | _covers(node.decorator_list)
        elif isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
            about = f"{node.name} {ast.get_docstring(node) or ''}"
            cls = module | _covers(node.decorator_list)
            for item in node.body:
                if isinstance(item, Test) and item.name.startswith("test"):
                    text = f"{about} {item.name} {ast.get_docstring(item) or ''}"
                    yield node.name, item, text, cls | _covers(item.decorator_list)


def _words(text: str) -> str:
    """``TestCozeWorkflowStream test_end_chunks`` as ``Test Coze Workflow Stream test end chunks``."""
    return re.sub(r"(?<=[a-z])(?=[A-Z])|_", " ", text)


def _excepted(name: str, cls: str, test: str, requirement: str) -> bool:
    return (name, cls, requirement) in COVERS_EXCEPTIONS or (name, test, requirement) in COVERS_EXCEPTIONS


def _about(text: str, requirement: str) -> bool:
    words = _words(text)
    return requirement in text or all(re.search(p, words, re.IGNORECASE) for p in SUBJECTS.get(requirement, ("$^",)))


class TestCozeSuiteCovers:
    """A ``covers`` tag says what a test is about, never every requirement one of its assertions touches."""

    def test_covered_requirements_are_the_tests_subject(self, trees: dict[Path, ast.Module]) -> None:
        """Each covered requirement's id or subject is in the test's class or docstring, or listed with its reason."""
        offenders = [
            f"{name}:{test.lineno} {test.name} covers {requirement}"
            for name, tree in _parsed(trees, COZE_TESTS.glob("test_*.py"))
            for cls, test, text, covers in _covered(tree)
            for requirement in sorted(covers)
            if not _about(text, requirement) and not _excepted(name, cls, test.name, requirement)
        ]
        assert offenders == []

    def test_every_exception_is_used(self, trees: dict[Path, ast.Module]) -> None:
        """An exception whose tag is gone (or never matched a test) is removed, not kept as a stale excuse."""
        used = {
            key
            for name, tree in _parsed(trees, COZE_TESTS.glob("test_*.py"))
            for cls, test, _, covers in _covered(tree)
            for requirement in covers
            for key in ((name, cls, requirement), (name, test.name, requirement))
        }
        assert set(COVERS_EXCEPTIONS) - used == set()

    def test_the_rule_reads_subjects_and_marks(self) -> None:
        """Module, class and test ``covers`` are all read; a workflow stream test is not about streaming chat."""
        tree = ast.parse(
            "pytestmark = [pytest.mark.covers('FR-016')]\n"
            "@pytest.mark.covers('FR-009')\n"
            "class TestCozeWorkflowStream:\n"
            "    '''Workflow runs streamed.'''\n"
            "    @pytest.mark.covers('FR-017')\n"
            "    def test_output(self):\n"
            "        '''The End node's output is joined.'''\n"
        )
        [(cls, test, text, covers)] = list(_covered(tree))
        assert (cls, test.name, covers) == ("TestCozeWorkflowStream", "test_output", {"FR-009", "FR-016", "FR-017"})
        assert [r for r in sorted(covers) if _about(text, r)] == ["FR-009"]
        assert _about("TestCozeChatStream test_deltas", "FR-016")
        assert _about("test_x '''The logid reaches the caller.'''", "FR-017")
