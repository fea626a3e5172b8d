"""Mutation gate: mutmut on ``coze_integration`` with the full suite; fail below the floor or on an unlisted survivor.

mutmut 3 mutates only code under a ``src/`` folder at the root of the directory it runs in, and
runs pytest in a ``mutants/`` copy of that directory. The package lives in ``api/src/``, so the
gate lays out a scratch directory the way mutmut needs it (``src/coze_integration``, the tests in
``api/tests``, ``features/`` and the root ``pyproject.toml`` with a ``[tool.mutmut]`` section
added) and leaves the repository untouched.

mutmut runs each mutant against the tests that called its function during a first, recorded run;
a function called while a session-scoped fixture is set up is credited to one test only, so the
gate runs the whole suite again against every mutmut survivor. mutmut also skips decorated
functions and constants: ``mutants_beyond_mutmut`` mutates those, and the gate runs the suite
against each mutated copy of the package. The score is the share of all mutants, of
both kinds, that the suite detects (killed, timed out or crashed). Every mutant left undetected
must be listed in ``api/tests/coze/mutants_equivalent.txt`` as

    <mutant id>  <fingerprint>  <why it is equivalent>

The fingerprint is a hash of the mutant's changed lines: mutmut numbers mutants per function, so
after an edit the same id can name another mutation, which then needs its own review. Usage:

    uv run --group mutation python scripts/mutation_gate.py [--workdir DIR] [--floor 92]

``--workdir`` keeps the scratch directory, and with it mutmut's cache, between runs.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import mutants_beyond_mutmut as beyond

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "coze_integration"
EQUIVALENTS = ROOT / "api" / "tests" / "coze" / "mutants_equivalent.txt"
FLOOR = 92.0
T = TypeVar("T")
DETECTED = frozenset({"killed", "timeout", "segfault", "caught by type check"})
#: The full suite: the real-socket and live-contract tiers too, which the default run leaves out. Not
#: the tiers that test the report tool (allure: its exports; report_e2e: coze-acceptance on copies of
#: the git checkout, which mutmut's folder is not), nor contract_fuzz, whose minutes of drawn bodies
#: per run would hold every survivor's rerun; CI runs each of those as its own step.
PYTEST_ARGS = ["-m", "not allure and not report_e2e and not contract_fuzz"]
#: The same suite in two runs, the default one first: most mutants die there, before the slow tier.
PHASES = [[], ["-m", "real_socket"]]
#: A run of the suite longer than this counts its mutant as detected by a timeout.
SUITE_TIMEOUT = 120.0
MUTMUT_CONFIG = f"""
[tool.mutmut]
source_paths = ["src/{PACKAGE}"]
also_copy = ["api", "features", "docs", "README.md"]
use_git_change_detection = false
# A kept --workdir must not reuse results after a change mutmut cannot trace (pyproject, lock).
on_dependency_change = "rerun"
pytest_add_cli_args = {json.dumps(PYTEST_ARGS)}
"""


@dataclass(frozen=True)
class Mutant:
    """One mutant: its mutmut id, its status, and the fingerprint of its change."""

    name: str
    status: str
    fingerprint: str

    @property
    def module(self) -> str:
        """The mutated module, e.g. ``coze_integration.calls``."""
        if self.name.startswith("beyond:"):
            return self.name.split(":")[1]
        return self.name.split(".x", 1)[0]


def lay_out(workdir: Path) -> None:
    """Copy what mutmut needs into ``workdir``; keep an existing ``mutants/`` (mutmut's cache)."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    (workdir / "src").mkdir(exist_ok=True)
    shutil.rmtree(workdir / "src" / PACKAGE, ignore_errors=True)
    shutil.copytree(ROOT / "api" / "src" / PACKAGE, workdir / "src" / PACKAGE, ignore=ignore)
    # What the tests read besides themselves: the feature files, the spec, the lock, the pyprojects, the README.
    for name in ("api/tests", "features", "docs"):
        shutil.rmtree(workdir / name, ignore_errors=True)
        shutil.copytree(ROOT / name, workdir / name, ignore=ignore)
    for name in ("api/pyproject.toml", "uv.lock", "README.md"):
        shutil.copy2(ROOT / name, workdir / name)
    (workdir / "pyproject.toml").write_text((ROOT / "pyproject.toml").read_text() + MUTMUT_CONFIG)


def run_mutmut(workdir: Path, max_children: int | None) -> None:
    """``mutmut run`` in ``workdir``; its own progress goes to the terminal."""
    command = [sys.executable, "-m", "mutmut", "run"]
    if max_children:
        command += ["--max-children", str(max_children)]
    subprocess.run(command, cwd=workdir, check=True, env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})


def fingerprint(diff: str) -> str:
    """A short hash of the removed and added lines of a mutant's diff, blind to line numbers."""
    changed = [line for line in diff.splitlines() if line[:1] in "+-" and line[:3] not in ("+++", "---")]
    return hashlib.sha256("\n".join(changed).encode()).hexdigest()[:10]


def collect(workdir: Path) -> list[Mutant]:
    """Every mutant of the run with its status, read from mutmut's result files."""
    from mutmut.mutation.diff_apply import get_diff_for_mutant
    from mutmut.stats import status_by_exit_code

    mutants = []
    previous = Path.cwd()
    os.chdir(workdir)  # mutmut's helpers read mutants/ relative to the working directory
    try:
        for meta in sorted(Path("mutants/src").rglob("*.py.meta")):
            source = meta.relative_to("mutants").with_suffix("")
            for name, exit_code in json.loads(meta.read_text())["exit_code_by_key"].items():
                status = status_by_exit_code[exit_code]
                diff = "" if status in DETECTED else get_diff_for_mutant(name, path=source)
                mutants.append(Mutant(name, status, fingerprint(diff) if diff else ""))
    finally:
        os.chdir(previous)
    return mutants


def run_suite(env: dict[str, str], cwd: Path) -> str:
    """``killed``, ``timeout`` or ``survived``: the suite, phase by phase, with ``env`` added."""
    for pytest_args in PHASES:
        command = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:randomly", *pytest_args]
        try:
            result = subprocess.run(
                command,
                cwd=cwd,
                env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1", **env},
                capture_output=True,
                timeout=SUITE_TIMEOUT,
            )
        except subprocess.TimeoutExpired:
            return "timeout"
        if result.returncode != 0:
            return "killed"
    return "survived"


def _in_parallel(run: Callable[[T], str], items: list[T], workers: int) -> list[str]:
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(run, items))


def recheck_with_full_suite(workdir: Path, mutants: list[Mutant], workers: int) -> list[Mutant]:
    """Run the whole suite against each mutmut survivor.

    mutmut runs a mutant only against the tests that called the function during its stats run,
    and a function called while a session- or module-scoped fixture is set up (the clients, the
    settings) is credited to the first test that used the fixture alone.
    """
    survivors = [m for m in mutants if m.status not in DETECTED]
    print(f"running the whole suite against {len(survivors)} mutmut survivors")
    src = str(workdir / "mutants" / "src")

    def run(mutant: Mutant) -> str:
        return run_suite({"PYTHONPATH": src, "MUTANT_UNDER_TEST": mutant.name}, workdir / "mutants")

    statuses = dict(zip((m.name for m in survivors), _in_parallel(run, survivors, workers), strict=True))
    return [
        Mutant(m.name, statuses[m.name], "" if statuses[m.name] in DETECTED else m.fingerprint)
        if m.name in statuses
        else m
        for m in mutants
    ]


def run_beyond(workers: int) -> list[Mutant]:
    """The mutants of decorated functions and constants, which mutmut skips, run against the suite."""
    package = ROOT / "api" / "src" / PACKAGE
    mutants = [
        mutant for path in sorted(package.glob("*.py")) for mutant in beyond.mutants_of(path, f"{PACKAGE}.{path.stem}")
    ]

    def run(mutant: beyond.SourceMutant) -> str:
        with tempfile.TemporaryDirectory(prefix="mutant-") as scratch:
            copy = Path(scratch) / PACKAGE
            shutil.copytree(package, copy, ignore=shutil.ignore_patterns("__pycache__"))
            (copy / mutant.path.relative_to(package)).write_text(mutant.source)
            return run_suite({"PYTHONPATH": scratch}, ROOT)

    control = beyond.SourceMutant("control", package / "__init__.py", 'raise ImportError("mutated copy in use")\n', "")
    if run(control) != "killed":
        raise SystemExit("the suite passed with a broken copy of the package: mutated copies are not being imported")
    print(f"running the suite against {len(mutants)} mutants of decorated functions and constants")
    statuses = _in_parallel(run, mutants, workers)
    return [
        Mutant(m.name, status, "" if status in DETECTED else fingerprint(m.diff))
        for m, status in zip(mutants, statuses, strict=True)
    ]


def read_equivalents(path: Path) -> dict[str, str]:
    """``{mutant id: fingerprint}`` of the listed equivalent mutants; each line must give a reason."""
    listed: dict[str, str] = {}
    for number, raw in enumerate(path.read_text().splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split(maxsplit=2)
        if len(parts) < 3:
            raise SystemExit(f"{path}:{number}: expected '<mutant id> <fingerprint> <why>', got {raw!r}")
        listed[parts[0]] = parts[1]
    return listed


def main(argv: list[str] | None = None) -> int:
    """Run the gate; exit 1 below the floor or on an unlisted survivor."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, help="scratch directory to use and keep (default: a temporary one)")
    parser.add_argument("--floor", type=float, default=FLOOR, help="least share of detected mutants, in %%")
    parser.add_argument("--max-children", type=int, help="parallel mutmut workers (default: one per core)")
    parser.add_argument("--no-run", action="store_true", help="reuse the mutmut results already in --workdir")
    args = parser.parse_args(argv)

    temporary = None if args.workdir else tempfile.TemporaryDirectory(prefix="mutation-gate-")
    workdir: Path = args.workdir or Path(temporary.name)  # type: ignore[union-attr]
    try:
        if not args.no_run:
            workdir.mkdir(parents=True, exist_ok=True)
            lay_out(workdir)
            run_mutmut(workdir, args.max_children)
        workers = args.max_children or os.cpu_count() or 1
        mutants = recheck_with_full_suite(workdir, collect(workdir), workers) + run_beyond(workers)
        return evaluate(mutants, read_equivalents(EQUIVALENTS), args.floor)
    finally:
        if temporary:
            temporary.cleanup()


def evaluate(mutants: list[Mutant], equivalents: dict[str, str], floor: float) -> int:
    """Print the score and the survivors by module; 0 when the gate passes."""
    if not mutants:
        print("no mutants found: did mutmut run?", file=sys.stderr)
        return 1
    by_status = Counter(m.status for m in mutants)
    detected = sum(by_status[status] for status in DETECTED)
    score = 100 * detected / len(mutants)
    survivors = [m for m in mutants if m.status not in DETECTED]
    unlisted = [m for m in survivors if equivalents.get(m.name) != m.fingerprint]
    stale = sorted(set(equivalents) - {m.name for m in survivors})

    print(f"\n{len(mutants)} mutants: " + ", ".join(f"{count} {status}" for status, count in by_status.most_common()))
    print(f"detected {detected}/{len(mutants)} = {score:.1f} % (floor {floor:.1f} %)")
    print(f"undetected {len(survivors)}, listed as equivalent {len(survivors) - len(unlisted)}")
    for module, count in sorted(Counter(m.module for m in unlisted).items()):
        print(f"  {module}: {count} not listed")
    for mutant in unlisted:
        print(f"{mutant.name}  {mutant.fingerprint}  {mutant.status}: not listed as equivalent")
    for name in stale:
        print(f"note: {name} is listed as equivalent but is no longer an undetected mutant")
    return 0 if score >= floor and not unlisted else 1


if __name__ == "__main__":
    sys.exit(main())
