"""Backend integration of the Coze Python SDK (cozepy): settings, clients, typed errors, streams."""

from coze_integration.calls import CozeCalls, RetryPolicy
from coze_integration.clients import (
    averify_credentials,
    build_async_coze,
    build_calls,
    build_coze,
    verify_credentials,
)
from coze_integration.errors import (
    CozeAPIRequestError,
    CozeAuthenticationError,
    CozeConfigurationError,
    CozeDeadlineExceededError,
    CozeIntegrationError,
    CozeMalformedResponseError,
    CozeNetworkError,
    CozeNotFoundError,
    CozePermissionError,
    CozeRateLimitError,
    CozeServerError,
    CozeTimeoutError,
    CozeVersionConflictError,
)
from coze_integration.settings import CozeSettings

__all__ = [
    "CozeAPIRequestError",
    "CozeAuthenticationError",
    "CozeCalls",
    "CozeConfigurationError",
    "CozeDeadlineExceededError",
    "CozeIntegrationError",
    "CozeMalformedResponseError",
    "CozeNetworkError",
    "CozeNotFoundError",
    "CozePermissionError",
    "CozeRateLimitError",
    "CozeServerError",
    "CozeSettings",
    "CozeTimeoutError",
    "CozeVersionConflictError",
    "RetryPolicy",
    "averify_credentials",
    "build_async_coze",
    "build_calls",
    "build_coze",
    "verify_credentials",
]
