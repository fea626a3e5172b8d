"""The shared fixtures of ``conftest.py`` (the Dify pattern): ``mock_*`` configuration and ``sample_*`` data."""

from __future__ import annotations

from typing import Any

import pytest
from cozepy import COZE_CN_BASE_URL

from coze_integration.settings import CozeSettings

SAMPLE_IDS = (
    "sample_workspace_id",
    "sample_bot_id",
    "sample_conversation_id",
    "sample_chat_id",
    "sample_workflow_id",
    "sample_execute_id",
)


@pytest.mark.covers("FR-003")
class TestCozeFixturesMock:
    """``mock_*`` fixtures give credentials and configuration that can never reach a real account."""

    def test_token_and_base_url(self, mock_coze_api_token: str, mock_coze_base_url: str) -> None:
        """The token has Coze's personal-token shape but is marked as a test token; the base is Coze's CN API."""
        assert mock_coze_api_token.startswith("pat_test_")
        assert mock_coze_base_url == COZE_CN_BASE_URL

    def test_settings_carry_the_mock_credentials(
        self, mock_settings: CozeSettings, mock_coze_api_token: str, mock_coze_base_url: str
    ) -> None:
        """The settings fixture is built from the mock token and base URL, with short timeouts."""
        assert mock_settings.api_token.get_secret_value() == mock_coze_api_token
        assert mock_settings.api_base == mock_coze_base_url
        assert mock_settings.timeout_seconds < 60


@pytest.mark.covers("FR-003", "FR-012")
class TestCozeFixturesSample:
    """``sample_*`` fixtures give realistic ids and inputs for bots, workflows and conversations."""

    def test_ids_are_distinct_coze_ids(self, request: pytest.FixtureRequest) -> None:
        """Every sample id is a 19-digit Coze id, and no two fixtures share one."""
        ids = [request.getfixturevalue(name) for name in SAMPLE_IDS]
        assert all(len(value) == 19 and value.isdigit() for value in ids), ids
        assert len(set(ids)) == len(ids)

    def test_inputs_are_fresh_per_test(self, sample_workflow_inputs: dict[str, Any], sample_user_message: str) -> None:
        """Workflow inputs are a dict a test may change without affecting the next test; the message is text."""
        assert sample_workflow_inputs == {"city": "Paris", "days": 3}
        sample_workflow_inputs["city"] = "changed"
        assert sample_user_message.strip()

    def test_inputs_were_not_changed_by_another_test(self, sample_workflow_inputs: dict[str, Any]) -> None:
        """A change made by an earlier test to its inputs is not seen here."""
        assert sample_workflow_inputs["city"] == "Paris"
