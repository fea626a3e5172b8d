"""Logging for cozepy and this package."""

from __future__ import annotations

import logging

import cozepy

LOGGER_NAME = "coze_integration"


def configure_logging(level: int) -> None:
    """Apply ``level`` to cozepy's own logger and to this package's logger.

    cozepy's logger does not propagate and has its own handler, so the level must be set through
    ``cozepy.setup_logging``; at DEBUG it logs every request body and SSE line (never the
    Authorization header).
    """
    cozepy.setup_logging(level)
    logging.getLogger(LOGGER_NAME).setLevel(level)
