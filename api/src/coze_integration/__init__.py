"""Backend integration of the Coze Python SDK (cozepy): settings, clients, typed errors, streams.

Everything backend code needs is importable from here; the submodules are implementation detail.
"""

from coze_integration.calls import CozeCalls, RetryPolicy
from coze_integration.chat_poll import ChatResult, acreate_chat_and_wait, create_chat_and_wait
from coze_integration.chat_stream import ChatTranscript, aconsume_chat_stream, consume_chat_stream
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
    CozeInvalidQueryError,
    CozeMalformedEventError,
    CozeMalformedResponseError,
    CozeNetworkError,
    CozeNotFoundError,
    CozePermissionError,
    CozeRateLimitError,
    CozeServerError,
    CozeStreamError,
    CozeStreamEventError,
    CozeStreamInterruptedError,
    CozeTimeoutError,
    CozeVersionConflictError,
)
from coze_integration.logs import configure_logging
from coze_integration.polling import PollPolicy
from coze_integration.settings import CozeSettings
from coze_integration.versions import check_versions
from coze_integration.workflow_logs import (
    WorkflowLogEntry,
    WorkflowLogFilter,
    WorkflowLogQueryResult,
    aquery_workflow_logs,
    query_workflow_logs,
)
from coze_integration.workflows import (
    WorkflowProgress,
    WorkflowRunOutcome,
    aconsume_workflow_stream,
    arun_workflow,
    arun_workflow_until_done,
    await_run,
    consume_workflow_stream,
    run_workflow,
    run_workflow_until_done,
    wait_for_run,
)

__all__ = [
    "ChatResult",
    "ChatTranscript",
    "CozeAPIRequestError",
    "CozeAuthenticationError",
    "CozeCalls",
    "CozeConfigurationError",
    "CozeDeadlineExceededError",
    "CozeIntegrationError",
    "CozeInvalidQueryError",
    "CozeMalformedEventError",
    "CozeMalformedResponseError",
    "CozeNetworkError",
    "CozeNotFoundError",
    "CozePermissionError",
    "CozeRateLimitError",
    "CozeServerError",
    "CozeSettings",
    "CozeStreamError",
    "CozeStreamEventError",
    "CozeStreamInterruptedError",
    "CozeTimeoutError",
    "CozeVersionConflictError",
    "PollPolicy",
    "RetryPolicy",
    "WorkflowLogEntry",
    "WorkflowLogFilter",
    "WorkflowLogQueryResult",
    "WorkflowProgress",
    "WorkflowRunOutcome",
    "aconsume_chat_stream",
    "aconsume_workflow_stream",
    "acreate_chat_and_wait",
    "aquery_workflow_logs",
    "arun_workflow",
    "arun_workflow_until_done",
    "averify_credentials",
    "await_run",
    "build_async_coze",
    "build_calls",
    "build_coze",
    "check_versions",
    "configure_logging",
    "consume_chat_stream",
    "consume_workflow_stream",
    "create_chat_and_wait",
    "query_workflow_logs",
    "run_workflow",
    "run_workflow_until_done",
    "verify_credentials",
    "wait_for_run",
]
