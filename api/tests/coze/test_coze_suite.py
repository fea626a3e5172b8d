"""The suite's own rules: plain tests stay plain, parity dispatch stays with parity, raised errors die with their test.

A unit test that awaits nothing is a plain ``def``: an ``async def`` would only make a reader look
for the await. The sync/async dispatch of ``tests.coze.parity`` exists so one text drives both
clients; a test of one client calls the project's function directly, so only step definitions
and tests marked ``parity`` may use the dispatch. A parametrized exception is a factory: a raised
instance keeps the frames of every test that raised it.
"""

from __future__ import annotations

import ast
import hashlib
import importlib
import re
import tomllib
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from types import ModuleType
from typing import Any, TypedDict, cast

import pytest

from tests.conftest import pytest_ignore_collect

COZE_TESTS = Path(__file__).parent
STEPS = COZE_TESTS / "steps"
PARITY_MODULE = "tests.coze.parity"
#: Names of the parity module that are types, not dispatch: any test may annotate with them.
PARITY_TYPES = frozenset({"AnyCoze"})
#: Where pytest's cache keeps what the source walk found, per file (see ``facts``).
FACTS_CACHE_KEY = "coze/suite-rules/facts"
AWAITING = (ast.Await, ast.AsyncFor, ast.AsyncWith)

Test = ast.FunctionDef | ast.AsyncFunctionDef


class FoundTest(TypedDict):
    """What the rules need to know of one test function, read from its source."""

    cls: str  # its class, or "" for a module-level test
    name: str
    line: int
    marks: list[str]  # the ``pytest.mark`` names of its module, class and itself
    awaits: bool  # a plain ``def``, or an ``async def`` with an await, ``async for`` or ``async with``
    dispatch_used: list[str]  # the parity dispatch helpers it names
    about: str  # its class's and its own name and docstring
    covers: list[str]  # the requirement ids of its module's, class's and own ``covers`` marks


class SourceFacts(TypedDict):
    """What the rules need to know of one Python file of the suite."""

    dispatch: list[str]  # the parity dispatch helpers it imports
    tests: list[FoundTest]


def _walk(nodes: list[ast.expr]) -> Iterator[ast.AST]:
    """Every node below ``nodes`` (decorators or a ``pytestmark`` value)."""
    return (node for expr in nodes for node in ast.walk(expr))


def _mark_names(nodes: list[ast.expr]) -> set[str]:
    """The ``pytest.mark.<name>`` names used in ``nodes``."""
    return {
        node.attr
        for node in _walk(nodes)
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Attribute) and node.value.attr == "mark"
    }


def _covers(nodes: list[ast.expr]) -> set[str]:
    """The requirement ids of the ``pytest.mark.covers(...)`` calls in ``nodes``."""
    return {
        arg.value
        for node in _walk(nodes)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "covers"
        for arg in node.args
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str)
    }


def _pytestmark(tree: ast.Module) -> list[ast.expr]:
    """The values assigned to the module's ``pytestmark``."""
    return [
        node.value
        for node in tree.body
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "pytestmark" for t in node.targets)
    ]


def _test_nodes(tree: ast.Module) -> Iterator[tuple[ast.ClassDef | None, Test]]:
    """Every test function, with its class (``None`` for a module-level test)."""
    for node in tree.body:
        if isinstance(node, Test) and node.name.startswith("test"):
            yield None, node
        elif isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
            for item in node.body:
                if isinstance(item, Test) and item.name.startswith("test"):
                    yield node, item


def _dispatch_imported(tree: ast.Module) -> set[str]:
    return {
        alias.asname or alias.name
        for node in tree.body
        if isinstance(node, ast.ImportFrom) and node.module == PARITY_MODULE
        for alias in node.names
    } - PARITY_TYPES


def _facts(tree: ast.Module) -> SourceFacts:
    """What the rules read from one parsed file."""
    dispatch = _dispatch_imported(tree)
    module = _pytestmark(tree)
    tests: list[FoundTest] = []
    for cls, test in _test_nodes(tree):
        decorators = module + (cls.decorator_list if cls else []) + test.decorator_list
        about = f"{cls.name} {ast.get_docstring(cls) or ''} " if cls else ""
        tests.append(
            FoundTest(
                cls=cls.name if cls else "",
                name=test.name,
                line=test.lineno,
                marks=sorted(_mark_names(decorators)),
                awaits=isinstance(test, ast.FunctionDef) or any(isinstance(n, AWAITING) for n in ast.walk(test)),
                dispatch_used=sorted({n.id for n in ast.walk(test) if isinstance(n, ast.Name)} & dispatch),
                about=f"{about}{test.name} {ast.get_docstring(test) or ''}",
                covers=sorted(_covers(decorators)),
            )
        )
    return SourceFacts(dispatch=sorted(dispatch), tests=tests)


def facts_key(rules: bytes, source: bytes) -> str:
    """The cache key of a file's facts: the hash of its text and of ``rules`` (the source of the rules that read it)."""
    return hashlib.sha256(rules + b"\0" + source).hexdigest()


def read_facts(
    rules: bytes, cached: dict[str, Any], root: Path = COZE_TESTS
) -> tuple[dict[str, tuple[str, SourceFacts]], bool]:
    """Every Python file's cache key and facts, by path relative to ``root``, and whether any had to be parsed.

    ``cached`` maps a path to ``[key, facts]`` from an earlier run: an edit to the file or to the
    rules changes the key, and the file is parsed again.
    """
    entries: dict[str, tuple[str, SourceFacts]] = {}
    parsed = False
    for path in sorted(root.rglob("*.py")):
        source = path.read_bytes()
        name, key = str(path.relative_to(root)), facts_key(rules, source)
        entry = cached.get(name)
        if isinstance(entry, list) and entry[0] == key:
            entries[name] = (key, cast(SourceFacts, entry[1]))
        else:
            entries[name], parsed = (key, _facts(ast.parse(source))), True
    return entries, parsed


@pytest.fixture(scope="module")
def facts(request: pytest.FixtureRequest) -> dict[str, SourceFacts]:
    """What the checks below read from every Python file of the Coze suite.

    Parsing the suite's ~460 kB of Python costs about 0.2 s; pytest's cache keeps each file's facts
    under the hash of its text and of this module, so a run parses only the files changed since the
    last one (all of them with ``-p no:cacheprovider`` or ``--cache-clear``).
    """
    cache = getattr(request.config, "cache", None)
    cached = cache.get(FACTS_CACHE_KEY, {}) if cache is not None else {}
    entries, parsed = read_facts(Path(__file__).read_bytes(), cached if isinstance(cached, dict) else {})
    if parsed and cache is not None:
        cache.set(FACTS_CACHE_KEY, entries)
    return {name: found for name, (_, found) in entries.items()}


def _sources(
    facts: dict[str, SourceFacts], *, nested: bool = True, tests_only: bool = True
) -> Iterator[tuple[str, SourceFacts]]:
    """The facts of the suite's ``test_*.py`` modules (only the top folder's unless ``nested``), or of every file."""
    for name, found in sorted(facts.items()):
        path = Path(name)
        if (not tests_only or path.name.startswith("test_")) and (nested or len(path.parts) == 1):
            yield name, found


class TestCozeSuitePlainTests:
    """Async tests are async because they await."""

    def test_tests_that_await_nothing_are_plain(self, facts: dict[str, SourceFacts]) -> None:
        """No ``async def`` test lacks an ``await``, ``async for`` or ``async with``."""
        pointless = [
            f"{name}:{test['line']} {test['name']}"
            for name, found in _sources(facts)
            for test in found["tests"]
            if not test["awaits"]
        ]
        assert pointless == []


class TestCozeSuiteParityDispatch:
    """The dispatch serves step definitions and ``parity`` tests only."""

    def test_only_test_and_step_modules_import_the_dispatch(self, facts: dict[str, SourceFacts]) -> None:
        """Fixtures and helpers outside ``steps/`` (conftest, the wire helper) never dispatch on the client kind."""
        importers = [
            name
            for name, found in _sources(facts, tests_only=False)
            if found["dispatch"] and not (Path(name).name.startswith("test_") or Path(name).parts[0] == "steps")
        ]
        assert importers == []

    def test_unit_tests_using_the_dispatch_are_parity_tests(self, facts: dict[str, SourceFacts]) -> None:
        """A unit test that calls a dispatch helper runs for both clients, so it carries ``parity``."""
        offenders = [
            f"{name}:{test['line']} {test['name']} uses {test['dispatch_used']}"
            for name, found in _sources(facts, nested=False)
            for test in found["tests"]
            if test["dispatch_used"] and "parity" not in test["marks"]
        ]
        assert offenders == []

    def test_the_checks_see_marks_and_imports(self) -> None:
        """The source walk finds module, class and function marks, the dispatch import and what awaits."""
        tree = ast.parse(
            "from tests.coze.parity import AnyCoze, read\n"
            "pytestmark = [pytest.mark.asyncio, pytest.mark.covers('FR-001')]\n"
            "@pytest.mark.parity\n"
            "class TestA:\n"
            "    @pytest.mark.golden('x')\n"
            "    async def test_a(self): await read()\n"
            "    async def test_b(self): pass\n"
            "def test_c(): pass\n"
        )
        found = _facts(tree)
        assert found["dispatch"] == ["read"]
        assert [(t["cls"], t["name"], t["marks"], t["awaits"], t["dispatch_used"]) for t in found["tests"]] == [
            ("TestA", "test_a", ["asyncio", "covers", "golden", "parity"], True, ["read"]),
            ("TestA", "test_b", ["asyncio", "covers", "parity"], False, []),
            ("", "test_c", ["asyncio", "covers"], True, []),
        ]

    def test_the_facts_are_read_again_when_a_file_or_the_rules_change(self, tmp_path: Path) -> None:
        """A file's cached facts serve only under the hash of its text and the rules; otherwise it is parsed again."""
        source = tmp_path / "test_a.py"
        source.write_text("async def test_a():\n    pass\n", encoding="utf-8")
        first, parsed = read_facts(b"rules", {}, tmp_path)
        assert parsed
        [(key, found)] = first.values()
        assert key == facts_key(b"rules", source.read_bytes())
        assert [test["awaits"] for test in found["tests"]] == [False]
        planted = [key, SourceFacts(dispatch=["planted"], tests=[])]
        reused, parsed = read_facts(b"rules", {"test_a.py": planted}, tmp_path)
        assert not parsed
        assert reused["test_a.py"][1] == planted[1]
        again, parsed = read_facts(b"other rules", {"test_a.py": planted}, tmp_path)
        assert parsed
        assert again["test_a.py"] == (facts_key(b"other rules", source.read_bytes()), found)
        source.write_text("async def test_a():\n    await x\n", encoding="utf-8")
        edited, parsed = read_facts(b"rules", {"test_a.py": planted}, tmp_path)
        assert parsed
        assert [test["awaits"] for test in edited["test_a.py"][1]["tests"]] == [True]


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

    def test_covered_requirements_are_the_tests_subject(self, facts: dict[str, SourceFacts]) -> None:
        """Each covered requirement's id or subject is in the test's class or docstring, or listed with its reason."""
        offenders = [
            f"{name}:{test['line']} {test['name']} covers {requirement}"
            for name, found in _sources(facts, nested=False)
            for test in found["tests"]
            for requirement in test["covers"]
            if not _about(test["about"], requirement) and not _excepted(name, test["cls"], test["name"], requirement)
        ]
        assert offenders == []

    def test_every_exception_is_used(self, facts: dict[str, SourceFacts]) -> None:
        """An exception whose tag is gone (or never matched a test) is removed, not kept as a stale excuse."""
        used = {
            key
            for name, found in _sources(facts, nested=False)
            for test in found["tests"]
            for requirement in test["covers"]
            for key in ((name, test["cls"], requirement), (name, test["name"], requirement))
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
        [test] = _facts(tree)["tests"]
        assert (test["cls"], test["name"], test["covers"]) == (
            "TestCozeWorkflowStream",
            "test_output",
            ["FR-009", "FR-016", "FR-017"],
        )
        assert [r for r in test["covers"] if _about(test["about"], r)] == ["FR-009"]
        assert _about("TestCozeChatStream test_deltas", "FR-016")
        assert _about("test_x '''The logid reaches the caller.'''", "FR-017")


class _MarkExpression:
    """The two things ``pytest_ignore_collect`` asks of pytest's config: the ``-m`` option and a stash."""

    def __init__(self, markexpr: str) -> None:
        self.markexpr = markexpr
        self.stash = pytest.Stash()

    def getoption(self, name: str) -> str:
        assert name == "markexpr"
        return self.markexpr


#: The ``-m`` expression of the default run, as pyproject.toml gives it.
_PYPROJECT = tomllib.loads((COZE_TESTS.parents[2] / "pyproject.toml").read_text(encoding="utf-8"))
_ADDOPTS: list[str] = _PYPROJECT["tool"]["pytest"]["ini_options"]["addopts"]
DEFAULT_RUN = _ADDOPTS[_ADDOPTS.index("-m") + 1]


class TestCozeSuiteTierCollection:
    """A tier the default ``-m`` leaves out is not imported: neither its modules nor a folder of only those."""

    @staticmethod
    def _ignored(markexpr: str, *paths: Path) -> list[bool | None]:
        config = cast(pytest.Config, _MarkExpression(markexpr))
        return [pytest_ignore_collect(path, config) for path in paths]

    @staticmethod
    def _module(folder: Path, name: str, source: str) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / name
        path.write_text(f'"""A module."""\nimport pytest\n{source}', encoding="utf-8")
        return path

    def test_a_folder_of_left_out_modules_is_not_entered(self, tmp_path: Path) -> None:
        """Its conftest is never imported: the folder and its module are both skipped under the default run."""
        folder = tmp_path / "real_socket"
        module = self._module(folder, "test_sockets.py", "pytestmark = [pytest.mark.real_socket, pytest.mark.parity]\n")
        (folder / "conftest.py").write_text("raise ImportError\n", encoding="utf-8")
        assert self._ignored(DEFAULT_RUN, folder, module) == [True, True]

    def test_a_folder_with_a_selected_module_is_entered(self, tmp_path: Path) -> None:
        """One module the run keeps is enough: the folder is entered and only the tier module is skipped."""
        tier = self._module(tmp_path, "test_tier.py", "pytestmark = pytest.mark.report_e2e\n")
        kept = self._module(tmp_path, "test_kept.py", "pytestmark = pytest.mark.covers('FR-001')\n")
        assert self._ignored(DEFAULT_RUN, tmp_path, tier, kept) == [None, True, None]

    def test_a_module_that_binds_scenarios_is_collected(self, tmp_path: Path) -> None:
        """The report tells a scenario left to a tier from an unbound one by the module's deselected items."""
        module = self._module(
            tmp_path, "test_live.py", 'pytestmark = pytest.mark.live_contract\nscenarios("x.feature")\n'
        )
        assert self._ignored(DEFAULT_RUN, tmp_path, module) == [None, None]

    @pytest.mark.parametrize("markexpr", ["real_socket", "", "not real_socket or parity"])
    def test_other_expressions_leave_the_choice_to_pytest(self, tmp_path: Path, markexpr: str) -> None:
        """Only ``not a and not b ...`` is read here; any other ``-m`` lets pytest decide test by test."""
        module = self._module(tmp_path, "test_sockets.py", "pytestmark = pytest.mark.real_socket\n")
        assert self._ignored(markexpr, tmp_path, module) == [None, None]
