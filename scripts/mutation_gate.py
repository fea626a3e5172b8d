"""Mutation gate: mutmut on ``coze_integration`` with the full suite; fail below the floor or on an unlisted survivor.

mutmut 3 mutates only code under a ``src/`` folder at the root of the directory it runs in, and
runs pytest in a ``mutants/`` copy of that directory. The package lives in ``api/src/``, so the
gate lays out a scratch directory the way mutmut needs it (``src/coze_integration``, the tests in
``api/tests``, ``features/`` and the root ``pyproject.toml`` with a ``[tool.mutmut]`` section
added) and leaves the repository untouched.

The score is the share of all mutants the suite detects (killed, timed out or crashed). Every
mutant left undetected must be listed in ``api/tests/coze/mutants_equivalent.txt`` as

    <mutant id>  <fingerprint>  <why it is equivalent>

The fingerprint is a hash of the mutant's changed lines: mutmut numbers mutants per function, so
after an edit the same id can name another mutation, which then needs its own review. Usage:

    uv run python scripts/mutation_gate.py [--workdir DIR] [--floor 92]

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
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "coze_integration"
EQUIVALENTS = ROOT / "api" / "tests" / "coze" / "mutants_equivalent.txt"
FLOOR = 92.0
DETECTED = frozenset({"killed", "timeout", "segfault", "caught by type check"})
MUTMUT_CONFIG = f"""
[tool.mutmut]
source_paths = ["src/{PACKAGE}"]
also_copy = ["api", "features", "docs"]
use_git_change_detection = false
# A kept --workdir must not reuse results after a change mutmut cannot trace (pyproject, lock).
on_dependency_change = "rerun"
# The full suite: the real-socket tier too, which the default run leaves out.
pytest_add_cli_args = ["-m", "real_socket or not real_socket"]
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
        return self.name.split(".x", 1)[0]


def lay_out(workdir: Path) -> None:
    """Copy what mutmut needs into ``workdir``; keep an existing ``mutants/`` (mutmut's cache)."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    (workdir / "src").mkdir(exist_ok=True)
    shutil.rmtree(workdir / "src" / PACKAGE, ignore_errors=True)
    shutil.copytree(ROOT / "api" / "src" / PACKAGE, workdir / "src" / PACKAGE, ignore=ignore)
    # What the tests read besides themselves: the feature files, the spec, the lock and the pyprojects.
    for name in ("api/tests", "features", "docs"):
        shutil.rmtree(workdir / name, ignore_errors=True)
        shutil.copytree(ROOT / name, workdir / name, ignore=ignore)
    for name in ("api/pyproject.toml", "uv.lock"):
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
    parser.add_argument("--no-run", action="store_true", help="only evaluate the results already in --workdir")
    args = parser.parse_args(argv)

    temporary = None if args.workdir else tempfile.TemporaryDirectory(prefix="mutation-gate-")
    workdir: Path = args.workdir or Path(temporary.name)  # type: ignore[union-attr]
    try:
        if not args.no_run:
            workdir.mkdir(parents=True, exist_ok=True)
            lay_out(workdir)
            run_mutmut(workdir, args.max_children)
        return evaluate(collect(workdir), read_equivalents(EQUIVALENTS), args.floor)
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
