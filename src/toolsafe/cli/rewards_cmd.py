"""``toolsafe rewards audit``: check that no reference or gaming agent out-scores the oracle."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from toolsafe.cli.common import fail_on_user_error

rewards_app = typer.Typer(help="Inspect and audit the rewards.", no_args_is_help=True)


@rewards_app.command("audit")
def audit_command(
    n: Annotated[int, typer.Option(help="Scenarios from the test split.")] = 500,
    seed: Annotated[int, typer.Option(help="Episode seed.")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Mean paper and shaped reward of every reference and format-gaming agent."""
    from toolsafe.audit import audit

    console = Console(stderr=as_json)
    with fail_on_user_error():
        report = audit(n, seed=seed, progress=lambda name: console.print(f"running {name} …"))
    if as_json:
        typer.echo(json.dumps(report, indent=2, sort_keys=True))
        return
    table = Table(title=f"reward audit ({n} test scenarios)")
    for column in ("agent", "paper", "shaped", "policy accuracy"):
        table.add_column(column, justify="left" if column == "agent" else "right")
    best = max(report.values(), key=lambda r: r["shaped"])
    for name, row in report.items():
        style = "bold green" if row is best else ""
        table.add_row(
            name, f"{row['paper']:.3f}", f"{row['shaped']:.3f}", f"{row['policy_accuracy']:.3f}", style=style
        )
    console.print(table)


def register(app: typer.Typer) -> None:
    """Add ``rewards`` to ``app``."""
    app.add_typer(rewards_app, name="rewards")
