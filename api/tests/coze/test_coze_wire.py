"""The golden wire catalogue: every file is indexed with its sources, and the helper serves it faithfully."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from functools import partial

import pytest

from tests.coze.test_coze_wire_contract import _disagreement
from tests.coze.wire import LOGID, WIRE_DIR, assert_lossless, catalogue, golden, golden_response, with_changes

# One path convention per source: the repository (or docs mirror) a path is read in, and how it is written.
SOURCE_PATHS = {
    "GO": re.compile(r"[a-z0-9_]+\.go"),  # coze-dev/coze-go, a file at the repository root
    "JS": re.compile(r"packages/coze-js/(src|test)/[\w/.-]+\.ts"),  # coze-dev/coze-js, from the repository root
    "CSDK": re.compile(r"packages/chat-sdk/src/[\w/.-]+\.ts"),  # coze-js's chat SDK, from the repository root
    "JAVA": re.compile(r"(client|service)/[\w/]+\.java"),  # coze-dev/coze-java, under com/coze/openapi/
    "DOCS": re.compile(r"[a-z0-9_]+\.md"),  # coze-dev/coze-sdk-gen docs/api-markdown/<page>.md
    "OPENAPI": re.compile(r"coze-openapi\.yaml"),  # coze-dev/coze-sdk-gen, at its root; a JSON pointer in brackets
}


class TestCozeWireCatalogue:
    """``index.toml`` and the files of ``api/tests/coze/wire/`` agree."""

    def test_every_file_is_indexed_once(self) -> None:
        """Each golden file has exactly one index entry, and each entry names an existing file."""
        on_disk = sorted(
            str(path.relative_to(WIRE_DIR)) for path in WIRE_DIR.rglob("*") if path.suffix in {".json", ".sse", ".html"}
        )
        indexed = sorted(entry.file for entry in catalogue())
        assert indexed == on_disk

    def test_every_entry_names_endpoint_case_and_sources(self) -> None:
        """An entry says which endpoint answers with the file, what case it shows, and where it is confirmed."""
        for entry in catalogue():
            method, _, path = entry.endpoint.partition(" ")
            assert method in {"GET", "POST", "PUT", "DELETE", "PATCH"}, entry
            assert path.startswith("/v"), entry
            assert entry.case, entry
            assert entry.sources, entry
            assert not any("cozepy" in source.lower() for source in entry.sources), entry

    def test_every_source_names_its_repository_and_a_path_in_its_convention(self) -> None:
        """``KIND path[ / path...][ (what it confirms)]``, each path written the one way its repository uses."""
        for entry in catalogue():
            for source in entry.sources:
                kind, _, rest = source.partition(" ")
                assert kind in SOURCE_PATHS, (entry.file, source)
                paths = rest.split(" (", 1)[0].split(" / ")
                for path in paths:
                    assert SOURCE_PATHS[kind].fullmatch(path), (entry.file, source, path)


class TestCozeWireHelper:
    """The helper serves golden bytes with the logid header and only substitutes existing values."""

    def test_response_carries_golden_body_and_logid(self) -> None:
        """A golden response is the file's JSON with ``x-tt-logid`` set."""
        response = golden_response("users/me_ok.json")
        response.read()
        assert response.json() == golden("users/me_ok.json")
        assert response.headers["x-tt-logid"] == LOGID

    def test_changes_replace_existing_values_only(self) -> None:
        """A change replaces a value at a dotted path and refuses a key Coze does not send."""
        body = with_changes(golden("users/me_ok.json"), {"data.user_id": "42"})
        assert body["data"]["user_id"] == "42"
        with pytest.raises(KeyError, match=r"data\.invented"):
            with_changes(golden("users/me_ok.json"), {"data.invented": 1})

    def test_golden_copies_are_independent(self) -> None:
        """Changing one copy of a golden body leaves the next copy untouched."""
        golden("users/me_ok.json")["data"]["user_id"] = "changed"
        assert golden("users/me_ok.json")["data"]["user_id"] != "changed"

    def test_lossless_check_catches_drops_and_misreads(self) -> None:
        """A dropped key, a string read as a number and a shortened list all fail the check."""
        wire = {"execute_id": "1", "error_code": "", "nodes": [{"id": "a"}]}
        assert_lossless({"execute_id": "1", "error_code": "", "nodes": [{"id": "a"}]}, wire)
        for parsed, where in (
            ({"error_code": "", "nodes": [{"id": "a"}]}, "data.execute_id was dropped"),
            ({"execute_id": "1", "error_code": 0, "nodes": [{"id": "a"}]}, "data.error_code"),
            ({"execute_id": "1", "error_code": "", "nodes": []}, "data.nodes: 0 items"),
        ):
            with pytest.raises(AssertionError, match=where):
                assert_lossless(parsed, wire)


class TestCozeWireDisagreementMarker:
    """A known-disagreement xfail accepts only the failure it names; a broken test errors instead."""

    def test_expected_failure_is_reported_as_the_xfail(self) -> None:
        """The named exception type becomes the one-line failure the strict xfail expects."""

        @_disagreement("misreads something", AssertionError)
        async def known() -> None:
            raise AssertionError("data.x was dropped")

        with pytest.raises(pytest.fail.Exception, match=r"AssertionError: data\.x was dropped"):
            asyncio.run(known())

    @pytest.mark.parametrize(
        ("named", "broken"),
        # Factories, not instances (the rule in test_coze_suite.py): a raised instance keeps its test's frames.
        [
            (AssertionError, partial(NameError, "name 'golden_nme' is not defined")),
            (AssertionError, partial(KeyError, "no route for GET /v1/bots")),
            (Exception, partial(KeyError, "a subclass of the named type is not it")),
        ],
        ids=["typo", "route-mismatch", "subclass"],
    )
    def test_any_other_exception_errors(self, named: type[Exception], broken: Callable[[], Exception]) -> None:
        """A typo or a route mismatch (any other exception type) escapes, so the xfail cannot hide it."""
        raised = broken()

        @_disagreement("rejects something", named)
        async def broken_test() -> None:
            raise raised

        with pytest.raises(type(raised)):
            asyncio.run(broken_test())
