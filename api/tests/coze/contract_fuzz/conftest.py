"""The contract_fuzz tier is collected only when ``-m`` selects it.

Its module imports hypothesis and hypothesis-jsonschema (about 0.4 s) at collection, which the
default run (``-m "not real_socket and not contract_fuzz"``) would pay for tests it deselects.
"""

from __future__ import annotations

from pathlib import Path

import pytest


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """Skip this folder's test modules unless the mark expression names the tier without negating it."""
    markexpr = str(config.getoption("markexpr"))
    selected = "contract_fuzz" in markexpr and "not contract_fuzz" not in markexpr
    if collection_path.name.startswith("test_") and not selected:
        return True
    return None
