"""The ``jifen`` commands, registered in one place.

A command is a module ``jifen/commands/NAME.py`` (dashes become underscores) with

    def configure(parser: argparse.ArgumentParser) -> None   # its options
    def run(args: argparse.Namespace) -> int                 # the exit status

and a line in COMMANDS below. ``jifen --help`` lists the summaries without importing
any command; ``jifen NAME ...`` imports only that one. So a command module imports
what is heavy (httpx, rich, the services) inside its functions, not at the top:
``jifen token`` and ``jifen --help`` answer at once (docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass


@dataclass(frozen=True)
class Command:
    name: str
    summary: str

    @property
    def module(self) -> str:
        return f"jifen.commands.{self.name.replace('-', '_')}"


COMMANDS: tuple[Command, ...] = (
    Command("token", "print a JWT the running services accept"),
    Command("service-keys", "print a new key per service and its public half as environment "
                            "lines"),
    Command("service-token", "print a token signed as one service for another (internal "
                             "routes, by hand)"),
    Command("run", "start PostgreSQL, the three services and the gateway"),
    Command("import-employees", "bulk import employees from a CSV/XLSX file"),
    Command("import-history", "import training history from a legacy system (a job)"),
    Command("openapi", "export the OpenAPI documents"),
    Command("report", "print, save or chart a dashboard report (table, JSON, CSV)"),
    Command("mix-targets", "read or set the target mix the points-mix report checks"),
    Command("what-if", "replay a rule-set version over past events; apply the difference"),
    Command("demo", "load the sample plant (1,500 employees, a year of training)"),
    Command("recommend", "an employee's recommended courses with their reasons"),
    Command("evaluate", "measure the recommendations against simple baselines (offline)"),
    Command("reconcile", "check balances against entries, holds against redemptions, stock "
                         "against reservations"),
    Command("backup", "back up the three databases (pg_dump, manifest, checksums)"),
    Command("restore", "restore a backup, migrate forward and reconcile"),
    Command("gateway", "render the gateway's nginx configuration for Kubernetes or compose"),
    Command("completion", "print the shell completion script for bash or zsh"),
)

BY_NAME = {c.name: c for c in COMMANDS}

# How shell completion completes a file name (the value shtab understands); set as
# ``action.complete`` on arguments that take a file.
FILE = {"bash": "_shtab_compgen_files", "zsh": "_files", "tcsh": "f"}


def completes_files(action: argparse.Action) -> None:
    """Have shell completion offer file names for this argument.

    shtab reads an ``action.complete`` attribute that argparse does not declare, so it is
    set through the action's ``__dict__`` rather than as an undeclared attribute.
    """
    vars(action)["complete"] = FILE
