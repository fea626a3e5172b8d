"""User Story 1: SDK installation and configuration (features/us1_sdk_installation.feature)."""

from __future__ import annotations

import importlib
import re
import tomllib
from importlib import metadata
from pathlib import Path
from types import ModuleType
from typing import Any

import respx
from packaging.requirements import Requirement
from packaging.version import Version
from pytest_bdd import given, scenarios, then, when

from coze_integration.calls import CozeCalls
from coze_integration.clients import check_versions
from coze_integration.settings import CozeSettings
from tests.coze.parity import AnyCoze, build_client
from tests.coze.steps.async_steps import async_step
from tests.coze.steps.shared import USERS_ME, authenticated_request, route_users_me
from tests.coze.wire import golden

scenarios("us1_sdk_installation.feature")

API_DIR = Path(__file__).resolve().parents[3]
REPO_ROOT = API_DIR.parent
LOCKED_PACKAGE = re.compile(r'^\[\[package\]\]\nname = "([^"]+)"\nversion = "([^"]+)"', re.MULTILINE)


@given("pyproject.toml exists", target_fixture="pyproject")
def _pyproject() -> dict[str, Any]:
    path = API_DIR / "pyproject.toml"
    assert path.is_file(), f"{path} is missing"
    return tomllib.loads(path.read_text(encoding="utf-8"))


@when("Coze SDK dependency is added", target_fixture="cozepy_requirement")
def _cozepy_requirement(pyproject: dict[str, Any]) -> Requirement:
    requirements = [Requirement(line) for line in pyproject["project"]["dependencies"]]
    matches = [req for req in requirements if req.name == "cozepy"]
    assert len(matches) == 1, f"expected one cozepy requirement, found {matches}"
    return matches[0]


@then("the SDK package (cozepy) is listed in dependencies")
def _cozepy_listed(cozepy_requirement: Requirement) -> None:
    spec = cozepy_requirement.specifier
    # 0.19 pulled httpx down to 0.27; 0.21 is untested. The range must exclude both.
    assert Version(metadata.version("cozepy")) in spec
    assert Version("0.19.0") not in spec
    assert Version("0.21.0") not in spec
    # uv.lock is large; its package headers are all this step needs.
    lock = (REPO_ROOT / "uv.lock").read_text(encoding="utf-8")
    locked = {name: Version(v) for name, v in LOCKED_PACKAGE.findall(lock)}
    assert locked["cozepy"] in spec
    assert locked["httpx"].release[:2] == (0, 28)


@given("SDK is installed", target_fixture="installed_version")
def _installed_version() -> str:
    check_versions()
    return metadata.version("cozepy")


@when("importing cozepy in Python code", target_fixture="cozepy_module")
def _import_cozepy() -> ModuleType:
    return importlib.import_module("cozepy")


@then("import succeeds without errors")
def _import_ok(cozepy_module: ModuleType, installed_version: str) -> None:
    assert installed_version == cozepy_module.VERSION
    missing = [name for name in cozepy_module.__all__ if not hasattr(cozepy_module, name)]
    assert missing == []
    for name in ("Coze", "AsyncCoze", "TokenAuth", "AsyncTokenAuth", "CozeAPIError", "ChatEventType"):
        assert name in cozepy_module.__all__


@given("environment variables are configured", target_fixture="env_settings")
def _env_settings(mock_env: None, mock_coze_api_token: str) -> CozeSettings:
    settings = CozeSettings.from_env()
    assert settings.api_token.get_secret_value() == mock_coze_api_token
    return settings


@when("initializing Coze client", target_fixture="env_client")
def _init_client(coze_kind: str, env_settings: CozeSettings, coze_router: respx.MockRouter) -> AnyCoze:
    route_users_me(coze_router)
    return build_client(coze_kind, env_settings)


@then("client authenticates successfully with provided credentials")
@async_step
async def _authenticated(
    env_client: AnyCoze,
    coze_calls: CozeCalls,
    coze_router: respx.MockRouter,
    mock_coze_api_token: str,
    mock_coze_base_url: str,
) -> None:
    user, request = await authenticated_request(env_client, coze_calls, coze_router, mock_coze_api_token)
    wire = golden("users/me_ok.json")["data"]
    assert (user.user_id, user.user_name) == (wire["user_id"], wire["user_name"])
    assert coze_router[USERS_ME].call_count == 1
    assert request.method == "GET"
    assert str(request.url) == f"{mock_coze_base_url}/v1/users/me"
