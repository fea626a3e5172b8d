"""Check that the installed cozepy and httpx match the ranges this project declares.

A resolver can still end up with a cozepy or httpx outside our range (another dependency forcing
it, a hand-installed wheel). cozepy 0.19 silently pulled httpx down to 0.27, for example. The check
reads the declared ranges from this distribution's own metadata, so ``api/pyproject.toml`` stays
the only place they are written.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from importlib import metadata

from packaging.requirements import Requirement
from packaging.version import Version

from coze_integration.errors import CozeVersionConflictError

DISTRIBUTION = "coze-api"
CHECKED = ("cozepy", "httpx")


def _declared(requires: Iterable[str]) -> dict[str, Requirement]:
    found = {}
    for line in requires:
        req = Requirement(line)
        if req.name in CHECKED and req.marker is None:
            found[req.name] = req
    return found


def check_versions(
    requires: Callable[[str], list[str] | None] | None = None,
    installed: Callable[[str], str] | None = None,
) -> None:
    """Raise :class:`CozeVersionConflictError` naming every package out of its declared range.

    ``requires`` and ``installed`` default to :mod:`importlib.metadata`; tests pass fakes.
    """
    requires = requires or metadata.requires
    installed = installed or metadata.version
    conflicts = []
    for name, req in sorted(_declared(requires(DISTRIBUTION) or []).items()):
        try:
            found = installed(name)
        except metadata.PackageNotFoundError:
            conflicts.append(f"{name} is not installed (required {req.specifier})")
            continue
        if Version(found) not in req.specifier:
            conflicts.append(f"{name} {found} is installed but {DISTRIBUTION} requires {name}{req.specifier}")
    if conflicts:
        raise CozeVersionConflictError("; ".join(conflicts) + "; run `uv sync` to restore the locked versions")
