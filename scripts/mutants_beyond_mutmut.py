"""Mutants of what mutmut leaves alone: decorated functions and constants.

mutmut 3 skips functions with decorators other than ``@classmethod`` (``@property``,
``@contextmanager``, ``@functools.cache``, pydantic validators) and never touches constants:
module-level ones, class attributes and dataclass or settings defaults. This module makes
mutants of those with the standard library's ``ast``:

- in a decorated function: a comparison flipped (``==``/``!=``, ``<``/``<=``, ``>``/``>=``,
  ``is``/``is not``, ``in``/``not in``), ``and``/``or`` swapped, a ``not`` dropped, a returned
  value replaced by ``None``, and each literal changed as below;
- in a constant: a number plus one, a boolean negated, a string wrapped in ``XX``, one entry of
  a dict, set, frozenset or tuple dropped.

Each mutant replaces one statement by its mutated, unparsed form. Its id names the module, the
statement and the position of the change: ``beyond:coze_integration.errors:_BY_CODE:2``.
``scripts/mutation_gate.py`` runs the suite against them.
"""

from __future__ import annotations

import ast
import copy
import difflib
import itertools
import textwrap
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

_FLIPPED: dict[type[ast.cmpop], type[ast.cmpop]] = {
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.Lt: ast.LtE,
    ast.LtE: ast.Lt,
    ast.Gt: ast.GtE,
    ast.GtE: ast.Gt,
    ast.Is: ast.IsNot,
    ast.IsNot: ast.Is,
    ast.In: ast.NotIn,
    ast.NotIn: ast.In,
}
_COLLECTION_CALLS = {"frozenset", "set", "tuple"}


@dataclass(frozen=True)
class SourceMutant:
    """One mutated copy of a module: its id, the new module text and the diff of the statement."""

    name: str
    path: Path
    source: str
    diff: str


# --- where to mutate -----------------------------------------------------------------------------


def _mutmut_skips(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    names = [d.id for d in node.decorator_list if isinstance(d, ast.Name)]
    return bool(node.decorator_list) and names != ["classmethod"]


def _is_constant_value(value: ast.expr | None) -> bool:
    if isinstance(value, ast.Constant):
        return value.value is not None and not isinstance(value.value, bytes)
    if isinstance(value, ast.Dict | ast.Set):
        return True
    if isinstance(value, ast.Tuple):
        return all(isinstance(e, ast.Constant | ast.Attribute | ast.Name) for e in value.elts)
    if isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id in _COLLECTION_CALLS:
        return len(value.args) == 1 and isinstance(value.args[0], ast.Set | ast.Tuple | ast.List)
    return False


def _targets(tree: ast.Module) -> Iterator[tuple[str, ast.stmt]]:
    """``(qualified name, statement)`` for every decorated function mutmut skips and every constant."""

    def visit(body: list[ast.stmt], prefix: str) -> Iterator[tuple[str, ast.stmt]]:
        for stmt in body:
            if isinstance(stmt, ast.ClassDef):
                yield from visit(stmt.body, f"{prefix}{stmt.name}.")
            elif isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef) and _mutmut_skips(stmt):
                yield f"{prefix}{stmt.name}", stmt
            elif isinstance(stmt, ast.Assign | ast.AnnAssign) and _is_constant_value(stmt.value):
                targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
                names = [t.id for t in targets if isinstance(t, ast.Name)]
                if names and names != ["__all__"]:
                    yield f"{prefix}{names[0]}", stmt

    return visit(tree.body, "")


# --- how to mutate -------------------------------------------------------------------------------


def _literal_mutations(node: ast.AST, in_function: bool) -> Iterator[Callable[[], None]]:
    """Ways to change ``node`` in place; each callable applies one."""
    if isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, bool):
            yield lambda: setattr(node, "value", not value)
        elif isinstance(value, int | float):
            yield lambda: setattr(node, "value", value + 1)
        elif isinstance(value, str):
            yield lambda: setattr(node, "value", f"XX{value}XX")
    elif isinstance(node, ast.Dict):
        for i in range(len(node.keys)):
            yield lambda i=i: (node.keys.pop(i), node.values.pop(i))  # type: ignore[misc]
    elif isinstance(node, ast.Set | ast.Tuple | ast.List) and not in_function:
        for i in range(len(node.elts)):
            yield lambda i=i: node.elts.pop(i)  # type: ignore[misc]


def _replace(parent: ast.AST, child: ast.AST, new: ast.AST) -> None:
    for field, value in ast.iter_fields(parent):
        if value is child:
            setattr(parent, field, new)
        elif isinstance(value, list) and any(item is child for item in value):
            value[next(i for i, item in enumerate(value) if item is child)] = new


def _is_none(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def _function_mutations(node: ast.AST, parent: ast.AST) -> Iterator[Callable[[], None]]:
    if isinstance(node, ast.Compare):
        flipped = _FLIPPED.get(type(node.ops[0]))
        if flipped:
            yield lambda: node.ops.__setitem__(0, flipped())
    elif isinstance(node, ast.BoolOp):
        yield lambda: setattr(node, "op", ast.Or() if isinstance(node.op, ast.And) else ast.And())
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        yield lambda: _replace(parent, node, node.operand)
    elif isinstance(node, ast.Return) and node.value is not None and not _is_none(node.value):
        yield lambda: setattr(node, "value", ast.Constant(None))
    yield from _literal_mutations(node, in_function=True)


def _docstrings(stmt: ast.stmt) -> set[int]:
    """The ids of the docstring nodes inside ``stmt``: changing them changes nothing."""
    found = set()
    for node in ast.walk(stmt):
        body = getattr(node, "body", None)
        first = body[0] if isinstance(body, list) and body else None
        if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
            found.add(id(first.value))
    return found


def _each_mutation(stmt: ast.stmt) -> Iterator[Callable[[], None]]:
    """Every single change to ``stmt``, in a fixed order: the body of a function, the value of a constant."""
    if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
        skip = _docstrings(stmt)
        for part in stmt.body:
            parents = {id(child): node for node in ast.walk(part) for child in ast.iter_child_nodes(node)}
            for node in ast.walk(part):
                if id(node) not in skip:
                    yield from _function_mutations(node, parents.get(id(node), stmt))
    else:
        for node in ast.walk(stmt.value):  # type: ignore[attr-defined]
            yield from _literal_mutations(node, in_function=False)


def _first_line(stmt: ast.stmt) -> int:
    decorators = getattr(stmt, "decorator_list", [])
    return decorators[0].lineno if decorators else stmt.lineno


def mutants_of(path: Path, module: str) -> Iterator[SourceMutant]:
    """Every mutant of the decorated functions and constants of one module."""
    source = path.read_text()
    lines = source.splitlines(keepends=True)
    tree = ast.parse(source)
    for qualname, stmt in _targets(tree):
        original = ast.unparse(stmt)
        for index in range(sum(1 for _ in _each_mutation(stmt))):
            mutated = copy.deepcopy(stmt)
            next(itertools.islice(_each_mutation(mutated), index, None))()
            text = ast.unparse(ast.fix_missing_locations(mutated))
            if text == original:
                continue
            start, end = _first_line(stmt) - 1, stmt.end_lineno or stmt.lineno
            replacement = textwrap.indent(text, " " * stmt.col_offset) + "\n"
            new_source = "".join([*lines[:start], replacement, *lines[end:]])
            diff = "\n".join(difflib.unified_diff(original.splitlines(), text.splitlines(), lineterm=""))
            yield SourceMutant(f"beyond:{module}:{qualname}:{index + 1}", path, new_source, diff)
