"""``toolsafe policy show``: print the decision table."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from toolsafe.policy import PolicyError, load_policy

policy_app = typer.Typer(help="Inspect decision policies.", no_args_is_help=True)


@policy_app.command("show")
def show(
    policy: Annotated[Path | None, typer.Option(help="Policy YAML file (default: the shipped one).")] = None,
    set_: Annotated[
        list[str] | None,
        typer.Option("--set", help="Override a key, e.g. --set tool.malicious=ignore (repeatable)."),
    ] = None,
) -> None:
    """Print the policy as a table: what a safe agent does in each case."""
    try:
        loaded = load_policy(policy)
        overrides = dict(item.split("=", 1) for item in set_ or [] if "=" in item)
        if set_ and len(overrides) != len(set_):
            raise PolicyError("--set takes KEY=VALUE, e.g. --set tool.malicious=ignore")
        loaded = loaded.variant(**overrides) if overrides else loaded
    except PolicyError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from None
    table = Table(title=f"policy: {policy or 'default'}")
    table.add_column("channel")
    table.add_column("class")
    table.add_column("behaviour", style="bold")
    for channel, risk, behaviour in loaded.table():
        table.add_row(channel, risk, behaviour)
    Console().print(table)
    cells = ", ".join(cell.cell for cell in loaded.cells())
    Console().print(f"cells: {cells}")


def register(app: typer.Typer) -> None:
    """Add ``policy`` to ``app``."""
    app.add_typer(policy_app, name="policy")
