"""Logging for cozepy and this package: one explicit call the backend makes at startup."""

from __future__ import annotations

import logging

import cozepy

from coze_integration.settings import CozeSettings

LOGGER_NAME = "coze_integration"


def configure_logging(settings: CozeSettings) -> None:
    """Apply ``COZE_LOG_LEVEL`` / ``COZE_DEBUG`` to cozepy's logger and to this package's logger.

    Loggers are process-wide, so the client factories never touch them: the backend calls this once
    at startup, next to its own logging setup. cozepy's logger does not propagate and has its own
    handler, so its level is set through ``cozepy.setup_logging``; at DEBUG it logs every request
    body and SSE line (never the Authorization header).
    """
    level = settings.effective_log_level
    cozepy.setup_logging(level)
    logging.getLogger(LOGGER_NAME).setLevel(level)
