"""Prove the suite catches a broken SDK: run it against copies of cozepy with one fault each.

Each mutant copies the installed cozepy into a temporary directory, applies one textual fault
and runs the whole suite with that copy first on ``PYTHONPATH``. A mutant the suite does not
kill is a gap in the tests. Usage:

    uv run python scripts/sdk_mutants.py [NAME ...]
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path


@dataclass(frozen=True)
class Mutant:
    """One fault: in ``path`` (relative to the cozepy package) replace ``old`` by ``new``."""

    name: str
    path: str
    old: str
    new: str


MUTANTS = [
    Mutant("wrong-auth-scheme", "auth/__init__.py", 'return "Bearer"', 'return "Token"'),
    Mutant("page-number-off-by-one", "bots/__init__.py", '"page_index": i_page_num,', '"page_index": i_page_num + 1,'),
    Mutant("lost-logid", "model.py", 'headers.get("x-tt-logid")\n', 'headers.get("x-logid")\n'),
    Mutant(
        "dropped-user-message",
        "chat/__init__.py",
        '"additional_messages": [i.model_dump() for i in additional_messages] if additional_messages else []',
        '"additional_messages": []',
    ),
    Mutant(
        "usage-not-parsed",
        "chat/__init__.py",
        "usage: Optional[ChatUsage] = None",
        "usage_: Optional[ChatUsage] = None",
    ),
    Mutant(
        "missing-completion-event",
        "chat/__init__.py",
        "    if event == ChatEventType.DONE:\n",
        "    if event in (ChatEventType.DONE, ChatEventType.CONVERSATION_CHAT_COMPLETED):\n",
    ),
    Mutant(
        "emptied-delta-content",
        "chat/__init__.py",
        "event = ChatEvent(event=event, message=Message.model_validate_json(event_data))",
        "event = ChatEvent(event=event, message=Message.model_validate_json(event_data)"
        '.model_copy(update={"content": ""}))',
    ),
    Mutant(
        "conversation-delete-wrong-method",
        "conversations/__init__.py",
        'return self._requester.request("delete", url, False, DeleteConversationResp)',
        'return self._requester.request("post", url, False, DeleteConversationResp)',
    ),
    Mutant("stream-not-set", "chat/__init__.py", '"stream": stream,', '"stream": False,'),
    Mutant("workflow-inputs-dropped", "workflows/runs/__init__.py", '"parameters": parameters,', '"parameters": None,'),
    Mutant(
        "run-history-ids-swapped",
        "workflows/runs/run_histories/__init__.py",
        "/v1/workflows/{workflow_id}/run_histories/{execute_id}",
        "/v1/workflows/{execute_id}/run_histories/{workflow_id}",
    ),
    Mutant(
        "workflow-messages-dropped",
        "workflows/runs/__init__.py",
        "    elif event == WorkflowEventType.MESSAGE:\n        return WorkflowEvent(",
        "    elif event == WorkflowEventType.MESSAGE:\n        return None\n        return WorkflowEvent(",
    ),
    Mutant(
        "async-run-execute-id-lost", "request.py", '"execute_id": body.get("execute_id") or None', '"execute_id": None'
    ),
    Mutant(
        "error-code-dropped",
        "request.py",
        "raise CozeAPIError(code, msg, logid, debug_url)",
        "raise CozeAPIError(None, msg, logid, debug_url)",
    ),
    Mutant(
        "error-logid-dropped",
        "request.py",
        "raise CozeAPIError(code, msg, logid, debug_url)",
        "raise CozeAPIError(code, msg, None, debug_url)",
    ),
    Mutant("error-event-swallowed", "chat/__init__.py", 'raise Exception(f"error event: {event_data}")', "return None"),
    Mutant(
        "malformed-lines-skipped",
        "model.py",
        '            if line == "":\n                continue\n',
        '            if line == "" or not any(line.startswith(f + ":") for f in self._fields):\n'
        "                continue\n",
    ),
    # Schema drift against the golden wire: an enum value changed, a field read from another key,
    # an optional field dropped. The golden files and the contract tests must notice each.
    Mutant(
        "drift-chat-status-value",
        "chat/__init__.py",
        '    IN_PROGRESS = "in_progress"\n',
        '    IN_PROGRESS = "running"\n',
    ),
    Mutant("drift-message-type-value", "chat/__init__.py", '    ANSWER = "answer"\n', '    ANSWER = "reply"\n'),
    Mutant(
        "drift-execute-status-value",
        "workflows/runs/run_histories/__init__.py",
        '    SUCCESS = "Success"\n',
        '    SUCCESS = "Succeeded"\n',
    ),
    Mutant(
        "drift-run-mode-value",
        "workflows/runs/run_histories/__init__.py",
        "    ASYNCHRONOUS = 2\n",
        "    ASYNCHRONOUS = 3\n",
    ),
    Mutant("drift-workspace-type-value", "workspaces/__init__.py", '    TEAM = "team"\n', '    TEAM = "enterprise"\n'),
    Mutant(
        "drift-usage-other-key",
        "chat/__init__.py",
        "    output_count: int = 0\n",
        '    output_count: int = __import__("pydantic").Field(0, validation_alias="output_tokens")\n',
    ),
    Mutant(
        "drift-bot-name-other-key",
        "bots/__init__.py",
        "        bot_name: str\n",
        '        bot_name: str = Field(alias="name")\n',
    ),
    Mutant(
        "drift-nick-name-other-key",
        "users/__init__.py",
        "    nick_name: str\n",
        '    nick_name: str = __import__("pydantic").Field(alias="nickname")\n',
    ),
    Mutant("drift-conversation-name-dropped", "conversations/__init__.py", "    name: Optional[str] = None\n", ""),
    Mutant("drift-chat-completed-at-dropped", "chat/__init__.py", "    completed_at: Optional[int] = None\n", ""),
    Mutant("drift-message-section-id-dropped", "chat/__init__.py", "    section_id: Optional[str] = None\n", ""),
    Mutant("drift-workflow-usage-dropped", "workflows/runs/__init__.py", "    usage: Optional[ChatUsage] = None\n", ""),
    Mutant(
        "drift-run-history-usage-dropped",
        "workflows/runs/run_histories/__init__.py",
        "    usage: Optional[ChatUsage] = None\n",
        "",
    ),
]


def run(mutant: Mutant, source: Path, root: Path) -> bool:
    """Apply ``mutant`` to a copy of ``source``; return True when the suite fails (mutant killed)."""
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "cozepy"
        shutil.copytree(source, copy)
        target = copy / mutant.path
        text = target.read_text(encoding="utf-8")
        if mutant.old not in text:
            sys.exit(f"{mutant.name}: pattern not found in {mutant.path}; update the mutant")
        target.write_text(text.replace(mutant.old, mutant.new), encoding="utf-8")
        env = {**os.environ, "PYTHONPATH": f"{tmp}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
        command = [sys.executable, "-m", "pytest", "-q", "-x", "--no-header", "-p", "no:randomly"]
        done = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True, check=False)
        return done.returncode != 0


def main() -> int:
    """Run the chosen mutants (all by default); exit 1 if any survives."""
    chosen = set(sys.argv[1:])
    spec = find_spec("cozepy")
    if spec is None or spec.origin is None:
        sys.exit("cozepy is not installed")
    source = Path(spec.origin).parent
    root = Path(__file__).resolve().parents[1]
    # The unmodified copy must pass, or every "kill" below would mean nothing.
    if run(Mutant("control", "__init__.py", "", ""), source, root):
        sys.exit("the suite fails against an unmodified copy of cozepy")
    survivors = []
    for mutant in MUTANTS:
        if chosen and mutant.name not in chosen:
            continue
        killed = run(mutant, source, root)
        print(f"{'killed  ' if killed else 'SURVIVED'} {mutant.name}")
        if not killed:
            survivors.append(mutant.name)
    return 1 if survivors else 0


if __name__ == "__main__":
    sys.exit(main())
