"""``coze-acceptance --live``: check a real Coze workspace against the documented wire.

Everything the suite knows about Coze is a file written from documentation (the golden catalogue,
Coze's OpenAPI description). This command asks a real Coze, through the runtime's own clients and
helpers, and checks each response three ways: against its operation's schema, against the golden
files of the same endpoint, and by parsing it through cozepy and ``coze_integration``. Drift that
would break the backend exits 1; additions are reported and exit 0.

This module only adds the options and dispatches: the check itself (:mod:`.command`) imports cozepy,
which a plain ``coze-acceptance`` run must leave to its test session.
"""

from __future__ import annotations

import argparse
import warnings
from pathlib import Path


def add_options(parser: argparse.ArgumentParser) -> None:
    """The ``--live`` options of ``coze-acceptance``."""
    group = parser.add_argument_group("live contract check (against a real Coze; reads only unless --live-writes)")
    group.add_argument(
        "--live", action="store_true", help="check a real Coze workspace against the documented wire instead of testing"
    )
    group.add_argument(
        "--live-writes",
        action="store_true",
        help="with --live: also create a conversation, chat and run the workflow (costs tokens, leaves traces)",
    )
    group.add_argument("--record", type=Path, metavar="DIR", help="with --live: write each response as a golden file")
    group.add_argument(
        "--record-raw", action="store_true", help="with --record: keep user ids, names and avatars unmasked"
    )


def requested(args: argparse.Namespace) -> bool:
    """Whether any ``--live`` option was given (the others need ``--live``, which :func:`main` checks)."""
    return bool(args.live or args.live_writes or args.record or args.record_raw)


def main(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    """Run the live check; exit 0 (no breaking drift), 1 (breaking drift or failed calls) or 2 (usage)."""
    if not args.live:
        parser.error("--live-writes, --record and --record-raw need --live")
    if args.record_raw and not args.record:
        parser.error("--record-raw needs --record DIR")
    # cozepy imports authlib.jose, which Authlib deprecates with an "always" filter of its own: the
    # ignore goes in front of it, after it is installed, as api/tests/conftest.py does for the suite.
    from authlib.deprecate import AuthlibDeprecationWarning

    warnings.filterwarnings("ignore", "authlib.jose module is deprecated", AuthlibDeprecationWarning)
    from coze_acceptance.live.command import run_command  # cozepy and the runtime load only now

    return run_command(args)
