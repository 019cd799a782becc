"""``jifen completion bash|zsh``: print a completion script for the shell, built from
the commands' own options (so it completes every command, option and report name).

    jifen completion bash > ~/.local/share/bash-completion/completions/jifen
    jifen completion zsh > "${fpath[1]}/_jifen"       # then: autoload -U compinit && compinit
    source <(jifen completion bash)                    # this shell only
"""

from __future__ import annotations

import argparse

SHELLS = ("bash", "zsh")


def configure(parser: argparse.ArgumentParser) -> None:
    parser.description = __doc__.split("\n\n", 1)[0].replace("``", "`")
    parser.epilog = "install:\n" + __doc__.split("\n\n", 1)[1]
    parser.add_argument("shell", choices=SHELLS, help="the shell")


def run(args: argparse.Namespace) -> int:
    import shtab

    from jifen.cli import build_parser

    print(shtab.complete(build_parser(every=True), shell=args.shell))
    return 0
