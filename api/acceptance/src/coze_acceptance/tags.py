"""The tag grammar of ``features/*.feature`` and its mapping onto registered pytest markers.

``@story:US1`` → ``pytest.mark.story(id="US1")``, likewise ``priority``, ``acceptance``
(the spec's acceptance-scenario id, e.g. ``US2-AS1``) and ``fr`` (a functional requirement).
``@parity`` → ``pytest.mark.parity``: the scenario runs once with ``Coze``, once with ``AsyncCoze``.
Anything else is rejected, so a typo in a tag cannot silently drop a scenario from the report.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

KEYED = {
    "story": re.compile(r"US[1-5]|EDGE"),
    "priority": re.compile(r"P[1-4]"),
    "acceptance": re.compile(r"US[1-5]-AS[1-9]|EC-[1-8]"),
    "fr": re.compile(r"FR-0(0[1-9]|1[0-9]|20)"),
}
FLAGS = frozenset({"parity"})


@dataclass(frozen=True)
class Tag:
    """A parsed tag: a marker name and its ``id`` (``None`` for flags)."""

    marker: str
    id: str | None


def parse_tag(tag: str) -> Tag:
    """Parse a tag (without ``@``); raise ``ValueError`` for one outside the grammar."""
    key, sep, value = tag.partition(":")
    if sep and key in KEYED and KEYED[key].fullmatch(value):
        return Tag(key, value)
    if not sep and tag in FLAGS:
        return Tag(tag, None)
    raise ValueError(f"tag @{tag} is not in the allowed set (see coze_acceptance.tags)")


def pytest_bdd_apply_tag(tag: str, function: Callable[..., Any]) -> bool:
    """pytest-bdd hook: ``@story:US1`` → ``pytest.mark.story(id="US1")``; unknown tags are an error.

    Import it into a conftest to use it; the registered markers keep ``--strict-markers`` on.
    """
    parsed = parse_tag(tag)
    mark = getattr(pytest.mark, parsed.marker)
    (mark(id=parsed.id) if parsed.id else mark)(function)
    return True


def pytest_itemcollected(item: pytest.Item) -> None:
    """``covers("FR-006", "FR-015")`` also becomes ``covers(id="FR-006")`` and ``covers(id="FR-015")``.

    pytest's ``-m`` matches keyword arguments only, so this is what makes
    ``-m "covers(id='FR-013')"`` select the unit tests of one requirement. Import it into a conftest.
    """
    for mark in list(item.iter_markers("covers")):
        for requirement in mark.args:
            item.add_marker(pytest.mark.covers(id=str(requirement)))
