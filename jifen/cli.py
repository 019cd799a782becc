"""``jifen``: the command-line tool for operators, HR analysts and scripts.

Run ``jifen --help`` or ``jifen COMMAND --help``. The commands are registered in
:mod:`jifen.commands`; this module only builds the parser and dispatches.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from jifen.commands import BY_NAME, COMMANDS

EPILOG = """\
Every command that talks to a running stack finds it the way `make run` started it:
JIFEN_URL, else http://127.0.0.1:$JIFEN_GATEWAY_PORT (8080); the database on
$JIFEN_PG_PORT (55432) or TRAINING_/POINTS_/REWARDS_DATABASE_URL. Tokens are signed
with JIFEN_JWT_SECRET / JIFEN_JWT_ISSUER / JIFEN_JWT_AUDIENCE (the development
defaults match `make run`). Shell completion: jifen completion bash|zsh."""


def build_parser(only: str | None = None, *, every: bool = False) -> argparse.ArgumentParser:
    """The parser, with the options of command ``only`` (or of every command, for
    shell completion); the other commands appear by name and summary only, so
    that their modules are not imported."""
    parser = argparse.ArgumentParser(
        prog="jifen", description="Jifen (积分): training points for manufacturing.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        p = sub.add_parser(command.name, help=command.summary,
                           description=command.summary[0].upper() + command.summary[1:] + ".",
                           formatter_class=argparse.RawDescriptionHelpFormatter)
        if every or command.name == only:
            module = importlib.import_module(command.module)
            module.configure(p)
            p.set_defaults(run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    only = argv[0] if argv and argv[0] in BY_NAME else None
    args = build_parser(only).parse_args(argv)
    return int(args.run(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
