"""Capture what named loggers emit, in place of pytest's ``caplog``.

pytest's logging plugin is off for this suite (``-p no:logging`` in pyproject: it costs about
40 ms a run and only three tests read logs). These tests attach a handler to the loggers they
check; cozepy's logger does not propagate to the root, so the handler goes on each named logger.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager


class _Collect(logging.Handler):
    def __init__(self, records: list[logging.LogRecord]) -> None:
        super().__init__()
        self._records = records

    def emit(self, record: logging.LogRecord) -> None:
        self._records.append(record)


@contextmanager
def captured_logs(*names: str, level: int) -> Iterator[list[logging.LogRecord]]:
    """Records of the named loggers at ``level`` and above; their levels are restored afterwards."""
    records: list[logging.LogRecord] = []
    handler = _Collect(records)
    loggers = [logging.getLogger(name) for name in names]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(level)
        logger.addHandler(handler)
    try:
        yield records
    finally:
        for logger, old_level in zip(loggers, levels, strict=True):
            logger.removeHandler(handler)
            logger.setLevel(old_level)
