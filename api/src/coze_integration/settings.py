"""Settings read from the environment (``COZE_*`` variables), and the logging they configure.

The logging setup lives here because it only applies two of these settings (``COZE_LOG_LEVEL``,
``COZE_DEBUG``); :data:`LOGGER_NAME` is the logger the rest of the package writes to.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any, Literal

import cozepy
import httpx
from cozepy import COZE_CN_BASE_URL
from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from coze_integration.errors import CozeConfigurationError

LogLevel = Literal["CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG"]
PositiveSeconds = Annotated[float, Field(gt=0)]

ENV_PREFIX = "COZE_"

#: The logger this package writes to; :func:`configure_logging` sets its level.
LOGGER_NAME = "coze_integration"


class CozeSettings(BaseSettings):
    """Connection, timeout, retry and logging settings for the Coze clients."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, frozen=True, extra="ignore")

    api_token: SecretStr
    api_base: str = COZE_CN_BASE_URL
    timeout_seconds: PositiveSeconds = 60.0
    connect_timeout_seconds: PositiveSeconds = 5.0
    log_level: LogLevel = "WARNING"
    debug: bool = False
    retry_attempts: Annotated[int, Field(ge=1, le=10)] = 3
    retry_base_delay_seconds: Annotated[float, Field(ge=0)] = 0.5
    #: The longest ``Retry-After`` a read waits for; a longer one fails at once (see ``RetryPolicy``).
    retry_after_max_seconds: Annotated[float, Field(ge=0, allow_inf_nan=False)] = 10.0

    @field_validator("api_token")
    @classmethod
    def _token_not_blank(cls, value: SecretStr) -> SecretStr:
        token = value.get_secret_value().strip()
        if not token:
            raise ValueError("must not be blank")
        return SecretStr(token)

    @field_validator("api_base")
    @classmethod
    def _normalise_base(cls, value: str) -> str:
        base = value.strip().rstrip("/")
        try:
            url = httpx.URL(base)
        except httpx.InvalidURL:
            url = httpx.URL()
        if url.scheme not in ("http", "https") or not url.host:
            raise ValueError("must be an http(s) URL such as https://api.coze.cn")
        # cozepy appends /v1 or /v3 to every path itself; a base ending in /v1 doubles it.
        if base.endswith("/v1"):
            raise ValueError("must not end in /v1: cozepy adds the version to each path (use https://api.coze.cn)")
        return base

    @property
    def effective_log_level(self) -> int:
        """The numeric level to apply: ``debug`` wins over ``log_level``."""
        return logging.DEBUG if self.debug else logging.getLevelNamesMapping()[self.log_level]

    def __init__(self, **values: Any) -> None:
        # pydantic's ValidationError quotes the rejected input, which may be the token.
        try:
            super().__init__(**values)
        except ValidationError as exc:
            raise configuration_error(exc) from None

    @classmethod
    def from_env(cls) -> CozeSettings:
        """Read the settings from ``COZE_*`` variables; raise :class:`CozeConfigurationError` if invalid."""
        return cls()


def configuration_error(exc: ValidationError) -> CozeConfigurationError:
    """Name each offending variable without echoing its value (the token is a secret)."""
    problems = []
    for error in exc.errors(include_input=False, include_url=False):
        variable = ENV_PREFIX + str(error["loc"][0]).upper() if error["loc"] else ENV_PREFIX
        message = "is required" if error["type"] == "missing" else error["msg"].removeprefix("Value error, ")
        problems.append(f"{variable} {message}")
    return CozeConfigurationError("; ".join(problems))


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
