"""What the live check needs from the environment, checked before any request is sent."""

from __future__ import annotations

import ipaddress
import json
import os
from dataclasses import dataclass, field
from typing import Any

import httpx

from coze_integration import CozeConfigurationError, CozeSettings

WORKSPACE_ID = "COZE_LIVE_WORKSPACE_ID"
BOT_ID = "COZE_LIVE_BOT_ID"
WORKFLOW_ID = "COZE_LIVE_WORKFLOW_ID"
EXECUTE_ID = "COZE_LIVE_EXECUTE_ID"
WORKFLOW_PARAMETERS = "COZE_LIVE_WORKFLOW_PARAMETERS"
#: Without these the check cannot read the workspace's bots.
REQUIRED = (WORKSPACE_ID, BOT_ID)


class LiveUsageError(ValueError):
    """Inputs the live check cannot work with; the message names every offending variable."""


@dataclass(frozen=True)
class LiveInputs:
    """The settings of the runtime's clients and the ids the live check reads."""

    settings: CozeSettings
    workspace_id: str
    bot_id: str
    #: Read one run history when both are given; the workflow is also the one ``--live-writes`` runs.
    workflow_id: str | None = None
    execute_id: str | None = None
    workflow_parameters: dict[str, Any] = field(default_factory=dict)

    def redact(self, text: str) -> str:
        """``text`` with the token replaced, should a response ever echo it: nothing the check writes holds it."""
        return text.replace(self.settings.api_token.get_secret_value(), "[COZE_API_TOKEN]")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _base_problem(settings: CozeSettings) -> str | None:
    url = httpx.URL(settings.api_base)
    if url.scheme == "http" and not _is_loopback(url.host):
        return "COZE_API_BASE may use http:// only for a loopback address (127.0.0.1, ::1, localhost); use https://"
    return None


def _parameters(text: str) -> tuple[dict[str, Any], str | None]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        return {}, f"{WORKFLOW_PARAMETERS} is not JSON ({exc.msg} at character {exc.pos})"
    if not isinstance(value, dict):
        return {}, f'{WORKFLOW_PARAMETERS} must be a JSON object such as {{"city": "Paris"}}'
    return value, None


def read_inputs() -> LiveInputs:
    """The live check's inputs, from the process environment as the backend reads its settings.

    Raises :class:`LiveUsageError` naming every missing or invalid variable at once.
    """
    env = os.environ
    values = {name: env.get(name, "").strip() for name in (*REQUIRED, WORKFLOW_ID, EXECUTE_ID)}
    problems = [f"{name} is required" for name in REQUIRED if not values[name]]
    settings: CozeSettings | None = None
    try:
        settings = CozeSettings.from_env()
    except CozeConfigurationError as exc:
        problems.insert(0, str(exc))  # names the variable, never the token
    if settings is not None and (problem := _base_problem(settings)):
        problems.append(problem)
    if values[EXECUTE_ID] and not values[WORKFLOW_ID]:
        problems.append(f"{EXECUTE_ID} needs {WORKFLOW_ID} (a run history belongs to its workflow)")
    parameters, problem = _parameters(env.get(WORKFLOW_PARAMETERS, "").strip() or "{}")
    if problem:
        problems.append(problem)
    if problems or settings is None:
        raise LiveUsageError("; ".join(problems))
    return LiveInputs(
        settings=settings,
        workspace_id=values[WORKSPACE_ID],
        bot_id=values[BOT_ID],
        workflow_id=values[WORKFLOW_ID] or None,
        execute_id=values[EXECUTE_ID] or None,
        workflow_parameters=parameters,
    )
