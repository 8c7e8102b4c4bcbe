"""clsim doctor: which optional backends work here, and the command that fixes each that does not."""

from __future__ import annotations

from rich.markup import escape
from rich.table import Table

from ..doctor import run_checks
from .common import console
from .tables import print_table


def doctor() -> None:
    """Check the optional backends (Ray, pretrained agents, PPO, AI2-THOR) and threads; print what works and how to fix
    what does not."""
    checks = run_checks()
    table = Table(title="What works here")
    for column in ("check", "", "found", "needed by", "fix"):
        table.add_column(column)
    for check in checks:
        table.add_row(escape(check.name), "[green]ok[/]" if check.ok else "[red]missing[/]", escape(check.found),
                      escape(check.needed_by), escape(check.fix))
    print_table(console, table)
    failed = [c for c in checks if not c.ok]
    console.print("everything works" if not failed else
                  f"{len(failed)} optional part(s) missing; the core (household and navigation worlds, every learner "
                  "but ppo, agents lm and lm-text) needs none of them")
