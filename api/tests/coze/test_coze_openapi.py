"""Coze's OpenAPI description as the contract: our transcription of it covers what the backend calls."""

from __future__ import annotations

import re
from typing import Any

from jsonschema import Draft202012Validator

from tests.coze.wire import catalogue
from tests.coze.wire.openapi import (
    OPENAPI_DIR,
    absent_endpoints,
    described_endpoints,
    event_names,
    event_schema,
    operation,
    operation_schema,
    source,
)


def _schemas() -> list[tuple[str, dict[str, Any]]]:
    """Every schema of the transcription, named by endpoint (and event)."""
    found: list[tuple[str, dict[str, Any]]] = []
    for endpoint in described_endpoints():
        found.append((endpoint, operation_schema(endpoint)))
        found.extend((f"{endpoint} {event}", event_schema(endpoint, event)) for event in event_names(endpoint))
    return found


class TestCozeOpenapiTranscription:
    """``wire/openapi/operations.json`` is complete for the backend, well-formed and traceable to its source."""

    def test_every_used_endpoint_is_described_or_listed_absent(self) -> None:
        """Each endpoint of the golden catalogue has an operation, or is listed as missing from the description."""
        used = {entry.endpoint for entry in catalogue()}
        described, absent = set(described_endpoints()), set(absent_endpoints())
        assert used == described | absent
        assert not described & absent
        assert absent == {"GET /v1/users/me"}

    def test_every_schema_is_a_valid_draft_2020_12_schema(self) -> None:
        """Each response and event schema is itself valid against the JSON Schema 2020-12 meta-schema."""
        for name, schema in _schemas():
            assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema", name
            Draft202012Validator.check_schema(schema)

    def test_streams_have_event_schemas(self) -> None:
        """The two streams the backend reads give a data schema for each event they document."""
        assert set(event_names("POST /v3/chat")) >= {
            "conversation.chat.created",
            "conversation.message.delta",
            "conversation.chat.completed",
            "error",
            "done",
        }
        assert set(event_names("POST /v1/workflow/stream_run")) == {"Message", "Error", "Interrupt", "Done", "PING"}

    def test_every_operation_names_its_source_and_why(self) -> None:
        """Each operation points into a file of the pinned commit and says why that file."""
        pinned = source()
        assert pinned["repository"] == "coze-dev/coze-sdk-gen"
        assert re.fullmatch(r"[0-9a-f]{40}", pinned["commit"])
        for endpoint in described_endpoints():
            entry = operation(endpoint)
            file, _, pointer = entry["source"].partition("#")
            assert file in pinned["files"], endpoint
            assert re.fullmatch(
                r"/paths/[^/]+/(get|post|delete)/responses/200/content/application~1json/schema", pointer
            ), endpoint
            assert entry["why"], endpoint

    def test_licence_and_readme_travel_with_it(self) -> None:
        """The MIT notice of coze-sdk-gen and the README that says how to refresh sit next to the transcription."""
        assert (OPENAPI_DIR / "LICENSE").read_text(encoding="utf-8").startswith("MIT License")
        readme = (OPENAPI_DIR / "README.md").read_text(encoding="utf-8")
        assert source()["commit"] in readme
        assert all(f"`{endpoint}`" in readme for endpoint in [*described_endpoints(), *absent_endpoints()])
