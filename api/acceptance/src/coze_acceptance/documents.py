"""The feature files and the spec, parsed with gherkin-official into comparable records.

The spec is Markdown, not Gherkin: each acceptance line (``1. **Given** …, **When** …,
**Then** …``) is rewritten as a Gherkin scenario and parsed by the same parser as the feature
files, so both sides are compared as parsed steps, never as raw text.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from gherkin.errors import CompositeParserException
from gherkin.parser import Parser
from gherkin.token_scanner import TokenScanner

_STEP_TYPES = {"Context": "given", "Action": "when", "Outcome": "then"}


class DocumentError(ValueError):
    """A feature file or the spec cannot be parsed."""


@dataclass(frozen=True)
class StepDoc:
    """One step: its keyword as written, its type (given/when/then) and its text."""

    keyword: str
    type: str
    text: str

    def __str__(self) -> str:
        return f"{self.keyword} {self.text}"


class _Tagged:
    """Something with ``@key:value`` tags."""

    tags: tuple[str, ...]

    def tag_value(self, key: str) -> str | None:
        """The value of the ``@key:value`` tag, if any."""
        return next((tag.split(":", 1)[1] for tag in self.tags if tag.startswith(f"{key}:")), None)


@dataclass(frozen=True)
class ScenarioDoc(_Tagged):
    """A scenario as written in a feature file."""

    feature_file: str
    name: str
    line: int
    tags: tuple[str, ...]
    steps: tuple[StepDoc, ...]


@dataclass(frozen=True)
class FeatureDoc(_Tagged):
    """A feature file: its name, description, tags, scenarios and the line of its ``Feature:`` keyword."""

    path: str
    name: str
    description: str
    tags: tuple[str, ...]
    scenarios: tuple[ScenarioDoc, ...]
    line: int = 1


def _parse(text: str, origin: str) -> dict[str, Any]:
    try:
        document = cast(dict[str, Any], Parser().parse(TokenScanner(text)))
    except CompositeParserException as exc:
        raise DocumentError(f"{origin}: {exc}") from exc
    return document


def _steps(raw_steps: list[dict[str, Any]]) -> tuple[StepDoc, ...]:
    steps, current = [], "given"
    for raw in raw_steps:
        # And/But continue the previous step's type, as pytest-bdd reads them.
        current = _STEP_TYPES.get(raw["keywordType"], current)
        steps.append(StepDoc(raw["keyword"].strip(), current, raw["text"]))
    return tuple(steps)


def _tags(raw: dict[str, Any]) -> tuple[str, ...]:
    return tuple(tag["name"].removeprefix("@") for tag in raw.get("tags", []))


# A FeatureDoc is immutable, so one parse serves every caller: a run reads the same feature files for
# the command line, the report plugin and several tests (about 6 ms a time).
@functools.lru_cache(maxsize=64)
def parse_feature(text: str, path: str) -> FeatureDoc:
    """Parse one feature file's text; ``path`` names it in the result and in errors."""
    feature = _parse(text, path).get("feature")
    if feature is None:
        raise DocumentError(f"{path}: no Feature")
    scenarios = tuple(
        ScenarioDoc(
            feature_file=path,
            name=child["scenario"]["name"],
            line=child["scenario"]["location"]["line"],
            tags=_tags(child["scenario"]),
            steps=_steps(child["scenario"]["steps"]),
        )
        for child in feature["children"]
        if "scenario" in child
    )
    description = " ".join(line.strip() for line in feature.get("description", "").splitlines() if line.strip())
    return FeatureDoc(path, feature["name"], description, _tags(feature), scenarios, feature["location"]["line"])


def load_features(features_dir: Path, root: Path) -> list[FeatureDoc]:
    """Every ``*.feature`` file under ``features_dir``, named relative to ``root`` as pytest-bdd names them."""
    return [
        parse_feature(path.read_text(encoding="utf-8"), path.resolve().relative_to(root.resolve()).as_posix())
        for path in sorted(features_dir.rglob("*.feature"))
    ]


# --- the spec ------------------------------------------------------------------------------------

_STORY = re.compile(r"^### User Story (\d+) - (.+?) \(Priority: (P\d)\)\s*$", re.MULTILINE)
_ACCEPTANCE = re.compile(r"^(\d+)\. \*\*Given\*\* (.+?), \*\*When\*\* (.+?), \*\*Then\*\* (.+?)\s*$", re.MULTILINE)
_REQUIREMENT = re.compile(r"^- \*\*((?:FR|SC)-\d{3})\*\*: (.+?)\s*$", re.MULTILINE)
_EDGE_SECTION = re.compile(r"^### Edge Cases\s*$(.*?)^## ", re.MULTILINE | re.DOTALL)


@dataclass(frozen=True)
class SpecStory:
    """A user story: id, title, priority, sentence and acceptance scenarios by id."""

    id: str
    title: str
    priority: str
    sentence: str
    scenarios: dict[str, tuple[StepDoc, ...]]


@dataclass(frozen=True)
class Spec:
    """What the spec asks for: stories, edge-case questions, requirements and success criteria."""

    stories: tuple[SpecStory, ...]
    edge_cases: dict[str, str]
    requirements: dict[str, str]
    criteria: dict[str, str]


def _story(match: re.Match[str], body: str) -> SpecStory:
    number, title, priority = match.groups()
    sentence = next(line.strip() for line in body.splitlines() if line.strip())
    lines = [f"Feature: {title}"]
    for index, given, when, then in _ACCEPTANCE.findall(body):
        lines += [f"Scenario: US{number}-AS{index}", f"  Given {given}", f"  When {when}", f"  Then {then}"]
    parsed = parse_feature("\n".join(lines) + "\n", f"spec user story {number}")
    return SpecStory(
        id=f"US{number}",
        title=title,
        priority=priority,
        sentence=sentence,
        scenarios={scenario.name: scenario.steps for scenario in parsed.scenarios},
    )


def parse_spec(text: str) -> Spec:
    """Parse the spec Markdown."""
    matches = list(_STORY.finditer(text))
    if not matches:
        raise DocumentError("spec: no user stories found")
    stories = []
    for match, following in zip(matches, [*matches[1:], None], strict=True):
        end = following.start() if following else text.find("### Edge Cases", match.end())
        stories.append(_story(match, text[match.end() : end]))
    edge = _EDGE_SECTION.search(text)
    questions = [line[2:].strip() for line in (edge.group(1) if edge else "").splitlines() if line.startswith("- ")]
    found = dict(_REQUIREMENT.findall(text))
    return Spec(
        stories=tuple(stories),
        edge_cases={f"EC-{n}": question for n, question in enumerate(questions, start=1)},
        requirements={key: value for key, value in found.items() if key.startswith("FR-")},
        criteria={key: value for key, value in found.items() if key.startswith("SC-")},
    )


def load_spec(path: Path) -> Spec:
    """Parse the spec file at ``path``."""
    return parse_spec(path.read_text(encoding="utf-8"))
