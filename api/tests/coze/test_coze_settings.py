"""Settings from the environment: required token, base URL rules, timeouts, log level, secrecy.

Covers ``coze_integration.settings``: every bad value raises ``CozeConfigurationError`` naming the
variable (never cozepy's bare ``AssertionError``), and the token never shows in any output.
"""

from __future__ import annotations

import logging

import pytest
from cozepy import COZE_CN_BASE_URL

import coze_integration
from coze_integration.errors import CozeConfigurationError
from coze_integration.settings import LOGGER_NAME, CozeSettings


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, mock_coze_api_token: str) -> pytest.MonkeyPatch:
    """An environment with a valid token; tests add or override variables."""
    monkeypatch.setenv("COZE_API_TOKEN", mock_coze_api_token)
    return monkeypatch


class TestCozeSettingsFromEnv:
    """Reading ``COZE_*`` variables."""

    def test_reads_token_and_base(self, mock_env: None, mock_coze_api_token: str, mock_coze_base_url: str) -> None:
        """``COZE_API_TOKEN`` and ``COZE_API_BASE`` are read from the environment."""
        settings = CozeSettings.from_env()
        assert settings.api_token.get_secret_value() == mock_coze_api_token
        assert settings.api_base == mock_coze_base_url

    @pytest.mark.covers("FR-013")
    def test_defaults(self, env: pytest.MonkeyPatch) -> None:
        """Only the token is required; the base defaults to api.coze.cn with 60 s/5 s timeouts."""
        settings = CozeSettings.from_env()
        assert settings.api_base == COZE_CN_BASE_URL
        assert (settings.timeout_seconds, settings.connect_timeout_seconds) == (60.0, 5.0)
        assert (settings.retry_attempts, settings.retry_base_delay_seconds) == (3, 0.5)
        assert settings.retry_after_max_seconds == 10.0
        assert settings.effective_log_level == logging.WARNING

    @pytest.mark.covers("FR-014")
    def test_package_logs_under_its_own_name(self) -> None:
        """The package's logger is named after the package, so logging configured by module name reaches it."""
        assert coze_integration.__name__ == LOGGER_NAME

    @pytest.mark.covers("FR-013", "FR-014")
    def test_reads_timeouts_log_level_and_retries(self, env: pytest.MonkeyPatch) -> None:
        """Timeout, log-level and retry variables override the defaults."""
        env.setenv("COZE_TIMEOUT_SECONDS", "12.5")
        env.setenv("COZE_CONNECT_TIMEOUT_SECONDS", "1")
        env.setenv("COZE_LOG_LEVEL", "INFO")
        env.setenv("COZE_RETRY_ATTEMPTS", "5")
        env.setenv("COZE_RETRY_BASE_DELAY_SECONDS", "0.1")
        env.setenv("COZE_RETRY_AFTER_MAX_SECONDS", "45")
        settings = CozeSettings.from_env()
        assert (settings.timeout_seconds, settings.connect_timeout_seconds) == (12.5, 1.0)
        assert settings.effective_log_level == logging.INFO
        assert (settings.retry_attempts, settings.retry_base_delay_seconds) == (5, 0.1)
        assert settings.retry_after_max_seconds == 45.0

    @pytest.mark.covers("FR-014")
    def test_debug_switch_wins_over_log_level(self, env: pytest.MonkeyPatch) -> None:
        """``COZE_DEBUG=true`` selects DEBUG whatever ``COZE_LOG_LEVEL`` says."""
        env.setenv("COZE_LOG_LEVEL", "ERROR")
        env.setenv("COZE_DEBUG", "true")
        assert CozeSettings.from_env().effective_log_level == logging.DEBUG


class TestCozeSettingsNormalisation:
    """Acceptable base URLs are normalised."""

    @pytest.mark.parametrize(
        ("raw", "expected"),
        [
            ("https://api.coze.cn/", "https://api.coze.cn"),
            ("  https://api.coze.com  ", "https://api.coze.com"),
            ("http://localhost:8080/", "http://localhost:8080"),
            ("https://proxy.internal/coze", "https://proxy.internal/coze"),
        ],
        ids=["trailing-slash", "whitespace", "plain-http-local", "path-prefix"],
    )
    def test_base_url_is_normalised(self, env: pytest.MonkeyPatch, raw: str, expected: str) -> None:
        """Whitespace and trailing slashes are dropped from ``COZE_API_BASE``."""
        env.setenv("COZE_API_BASE", raw)
        assert CozeSettings.from_env().api_base == expected

    def test_token_whitespace_is_trimmed(self, monkeypatch: pytest.MonkeyPatch, mock_coze_api_token: str) -> None:
        """A token pasted with a trailing newline still authenticates."""
        monkeypatch.setenv("COZE_API_TOKEN", f" {mock_coze_api_token}\n")
        assert CozeSettings.from_env().api_token.get_secret_value() == mock_coze_api_token


class TestCozeSettingsValidation:
    """Every bad setting raises a configuration error naming its variable."""

    @pytest.mark.parametrize(
        ("variables", "expected"),
        [
            ({}, "COZE_API_TOKEN is required"),
            ({"COZE_API_TOKEN": ""}, "COZE_API_TOKEN must not be blank"),
            ({"COZE_API_TOKEN": "   "}, "COZE_API_TOKEN must not be blank"),
            ({"COZE_API_BASE": "api.coze.cn"}, "COZE_API_BASE must be an http(s) URL"),
            ({"COZE_API_BASE": "ftp://api.coze.cn"}, "COZE_API_BASE must be an http(s) URL"),
            ({"COZE_API_BASE": "https://"}, "COZE_API_BASE must be an http(s) URL"),
            ({"COZE_API_BASE": "https://api.coze.cn/v1"}, "COZE_API_BASE must not end in /v1"),
            ({"COZE_API_BASE": "https://api.coze.cn/v1/"}, "COZE_API_BASE must not end in /v1"),
            ({"COZE_TIMEOUT_SECONDS": "0"}, "COZE_TIMEOUT_SECONDS"),
            ({"COZE_CONNECT_TIMEOUT_SECONDS": "-1"}, "COZE_CONNECT_TIMEOUT_SECONDS"),
            ({"COZE_TIMEOUT_SECONDS": "soon"}, "COZE_TIMEOUT_SECONDS"),
            ({"COZE_LOG_LEVEL": "VERBOSE"}, "COZE_LOG_LEVEL"),
            ({"COZE_DEBUG": "maybe"}, "COZE_DEBUG"),
            ({"COZE_RETRY_ATTEMPTS": "0"}, "COZE_RETRY_ATTEMPTS"),
            ({"COZE_RETRY_BASE_DELAY_SECONDS": "-0.5"}, "COZE_RETRY_BASE_DELAY_SECONDS"),
            ({"COZE_RETRY_AFTER_MAX_SECONDS": "-1"}, "COZE_RETRY_AFTER_MAX_SECONDS"),
            ({"COZE_RETRY_AFTER_MAX_SECONDS": "inf"}, "COZE_RETRY_AFTER_MAX_SECONDS"),
            ({"COZE_RETRY_AFTER_MAX_SECONDS": "an hour"}, "COZE_RETRY_AFTER_MAX_SECONDS"),
            ({"COZE_TIMEOUT_SECONDS": "0", "COZE_RETRY_ATTEMPTS": "0"}, "; COZE_RETRY_ATTEMPTS "),
        ],
        ids=[
            "token-missing",
            "token-empty",
            "token-blank",
            "base-no-scheme",
            "base-ftp",
            "base-no-host",
            "base-v1",
            "base-v1-slash",
            "timeout-zero",
            "connect-timeout-negative",
            "timeout-not-a-number",
            "log-level-unknown",
            "debug-not-bool",
            "retry-attempts-zero",
            "retry-delay-negative",
            "retry-after-cap-negative",
            "retry-after-cap-infinite",
            "retry-after-cap-not-a-number",
            "two-bad-variables",
        ],
    )
    def test_bad_setting_names_variable(
        self, monkeypatch: pytest.MonkeyPatch, mock_coze_api_token: str, variables: dict[str, str], expected: str
    ) -> None:
        """The error is a ``CozeConfigurationError`` whose message names the offending variable."""
        if "COZE_API_TOKEN" not in variables and variables:
            monkeypatch.setenv("COZE_API_TOKEN", mock_coze_api_token)
        for name, value in variables.items():
            monkeypatch.setenv(name, value)
        with pytest.raises(CozeConfigurationError) as caught:
            CozeSettings.from_env()
        assert expected in str(caught.value)
        assert caught.value.__cause__ is None
        assert mock_coze_api_token not in str(caught.value)

    def test_direct_construction_is_validated_too(self) -> None:
        """Building settings in code raises the same typed error, not pydantic's."""
        with pytest.raises(CozeConfigurationError, match="COZE_API_BASE must not end in /v1"):
            CozeSettings(api_token="pat_x", api_base="https://api.coze.com/v1")


class TestCozeSettingsSecrecy:
    """The token is a secret."""

    def test_token_never_rendered(self, env: pytest.MonkeyPatch, mock_coze_api_token: str) -> None:
        """``repr``, ``str`` and JSON dumps of the settings mask the token."""
        settings = CozeSettings.from_env()
        for rendered in (repr(settings), str(settings), settings.model_dump_json(), repr(settings.api_token)):
            assert mock_coze_api_token not in rendered

    def test_invalid_token_error_does_not_echo_input(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """A rejected value is never quoted back, so a mistyped secret cannot leak into logs."""
        monkeypatch.setenv("COZE_API_TOKEN", "pat_secret")
        monkeypatch.setenv("COZE_API_BASE", "pat_secret_pasted_in_the_wrong_variable")
        with pytest.raises(CozeConfigurationError) as caught:
            CozeSettings.from_env()
        assert "pat_secret" not in str(caught.value)
