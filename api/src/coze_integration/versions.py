"""Check that the installed cozepy and httpx are versions this integration supports.

A resolver can still end up with a cozepy or httpx outside the supported range (another dependency
forcing it, a hand-installed wheel). cozepy 0.19 silently pulled httpx down to 0.27, for example.
The ranges are a constant of this package, and the versions are read from the imported modules
themselves: no distribution's metadata is consulted, so the check keeps working when the package
is vendored into the backend under another name (or installed without metadata at all).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping

from packaging.specifiers import SpecifierSet
from packaging.version import InvalidVersion, Version

from coze_integration.errors import CozeVersionConflictError

#: The versions this code is written and tested against; ``api/pyproject.toml`` declares the same
#: ranges (a test keeps the two in step).
SUPPORTED: Mapping[str, SpecifierSet] = {
    "cozepy": SpecifierSet(">=0.20,<0.21"),
    "httpx": SpecifierSet(">=0.28,<0.29"),
}

# Where each module keeps its own version string.
_VERSION_ATTRIBUTE = {"cozepy": "VERSION", "httpx": "__version__"}


def installed_version(name: str) -> str | None:
    """The version of the importable module ``name``, or ``None`` when it cannot be imported."""
    try:
        module = importlib.import_module(name)
    except ImportError:
        return None
    found = getattr(module, _VERSION_ATTRIBUTE.get(name, "__version__"), None)
    return str(found) if found is not None else None


def _conflict(name: str, supported: SpecifierSet, found: str | None) -> str | None:
    if found is None:
        return f"{name} is not installed (supported {supported})"
    try:
        inside = Version(found) in supported
    except InvalidVersion:
        inside = False
    return None if inside else f"{name} {found} is installed but coze_integration supports {name}{supported}"


def check_versions(installed: Callable[[str], str | None] | None = None) -> None:
    """Raise :class:`CozeVersionConflictError` naming every package outside :data:`SUPPORTED`.

    ``installed`` defaults to :func:`installed_version`; tests pass a fake.
    """
    lookup = installed or installed_version
    conflicts = [
        problem
        for name, supported in sorted(SUPPORTED.items())
        if (problem := _conflict(name, supported, lookup(name))) is not None
    ]
    if conflicts:
        raise CozeVersionConflictError("; ".join(conflicts) + "; run `uv sync` to restore the locked versions")
