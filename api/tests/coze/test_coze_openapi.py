"""Coze's OpenAPI description as the contract: our transcription of it covers what the backend calls."""

from __future__ import annotations

import re
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from tests.coze.wire import catalogue, golden, with_changes
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
from tests.coze.wire.openapi.validation import (
    Departure,
    departures,
    is_error_envelope,
    listed_departures,
    validated,
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


def _files_of(endpoint: str) -> list[str]:
    """The golden files of ``endpoint`` that the description validates (error envelopes have their own test)."""
    return [
        entry.file
        for entry in catalogue()
        if entry.endpoint == endpoint and validated(entry.file) and not is_error_envelope(entry.file)
    ]


def _listed(files: list[str]) -> dict[tuple[str, str], Departure]:
    return {(d.file, path): d for d in listed_departures() if d.file in files for path in d.paths}


class TestCozeOpenapiGoldenFiles:
    """Every golden file obeys its operation's schema in the description, or its departure is listed."""

    @pytest.mark.parametrize("endpoint", described_endpoints())
    def test_golden_files_obey_the_description(self, endpoint: str) -> None:
        """Each body (each event's data) validates; a departure is listed, and a listed one still departs."""
        files = _files_of(endpoint)
        found = {(name, path): what for name in files for path, what in departures(name).items()}
        listed = _listed(files)
        unlisted = {where: what for where, what in found.items() if where not in listed}
        assert not unlisted, f"departures not in departures.toml: {unlisted}"
        assert not listed.keys() - found.keys(), f"listed departures that no longer depart: {listed.keys() - found}"

    def test_error_envelopes_obey_the_envelope(self) -> None:
        """Every error answer, on any endpoint, has the description's envelope: code, msg, detail.logid."""
        errors = [entry.file for entry in catalogue() if is_error_envelope(entry.file)]
        assert errors
        for name in errors:
            assert departures(name) == {}, name
            assert not _listed([name]), name

    def test_only_undescribed_files_go_unvalidated(self) -> None:
        """A file escapes validation only as a gateway's page or a success of an operation the description lacks."""
        skipped = {entry.file for entry in catalogue() if not validated(entry.file)}
        assert skipped == {
            entry.file
            for entry in catalogue()
            if entry.file.endswith(".html")
            or (entry.endpoint in absent_endpoints() and not is_error_envelope(entry.file))
        }
        assert "users/me_ok.json" in skipped

    def test_every_listed_departure_names_a_golden_file_reason_and_source(self) -> None:
        """Each entry of ``departures.toml`` is about an indexed file and says why and what shows it."""
        indexed = {entry.file for entry in catalogue()}
        for departure in listed_departures():
            assert departure.file in indexed, departure
            assert departure.paths, departure
            assert departure.reason, departure
            assert departure.source, departure

    @pytest.mark.parametrize(
        ("change", "where"),
        [
            ({"data.bot_mode": 2}, "$.data.bot_mode"),
            ({"data.create_time": "1715689059"}, "$.data.create_time"),
            ({"data.plugin_info_list.0.plugin_id": 7}, "$.data.plugin_info_list[0].plugin_id"),
        ],
        ids=["enum", "type", "nested"],
    )
    def test_a_departing_body_is_found(self, change: dict[str, Any], where: str) -> None:
        """An enum value, a type or a nested field that breaks the schema is reported at its path."""
        name = "bots/get_online_info_ok.json"
        assert departures(name) == {}
        assert where in departures(name, with_changes(golden(name), change))

    def test_a_missing_required_key_is_found_at_its_path(self) -> None:
        """A body without a required key departs at that key's own path."""
        body = golden("bots/get_online_info_ok.json")
        del body["msg"]
        assert set(departures("bots/get_online_info_ok.json", body)) == {"$.msg"}
