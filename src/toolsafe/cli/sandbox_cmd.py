"""``toolsafe sandbox``: inspect the sandbox and play an episode by hand."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.panel import Panel
from rich.table import Table

sandbox_app = typer.Typer(
    help="Inspect the sandbox: domains, tools, threats; play an episode.", no_args_is_help=True
)


@sandbox_app.command("stats")
def stats_command(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Count domains, tools, sensitive tools, attack styles and scenario templates per split."""
    from toolsafe.sandbox.generate import stats

    data = stats()
    if as_json:
        typer.echo(json.dumps(data, indent=2))
        return
    table = Table(title="sandbox")
    table.add_column("what")
    table.add_column("count", justify="right")
    for key in ("domains", "tools", "sensitive_tools", "attack_styles", "jailbreaks"):
        table.add_row(key, str(data[key]))
    for split, count in data["scenario_templates"].items():
        table.add_row(f"templates ({split})", str(count))
    console = Console()
    console.print(table)
    console.print("domains: " + ", ".join(data["domain_names"]))


def _show(console: Console, message: dict[str, Any]) -> None:
    role = message.get("role", "?")
    name = message.get("name")
    title = f"{role}{f' · {name}' if name else ''}"
    style = {"system": "dim", "user": "cyan", "tool": "yellow", "assistant": "green"}.get(str(role), "")
    console.print(Panel(str(message.get("content") or ""), title=title, border_style=style, expand=False))


@sandbox_app.command("play")
def play_command(
    scenario: Annotated[str, typer.Option(help="Scenario id (sandbox/test/000017) or index.")],
    split: Annotated[str, typer.Option(help="train or test (when the id is an index).")] = "test",
    seed: Annotated[int, typer.Option(help="Episode seed (the simulated user's answers).")] = 0,
    data_seed: Annotated[int, typer.Option(help="Seed the scenarios were generated with.")] = 0,
    yes_probability: Annotated[float, typer.Option(help="Chance the simulated user says yes.")] = 0.5,
    max_turns: Annotated[int, typer.Option(help="Turn limit.")] = 8,
) -> None:
    """Step through one episode: type each assistant turn in the tagged format."""
    from toolsafe.protocol import parse_tagged
    from toolsafe.sandbox.episode import Episode
    from toolsafe.sandbox.generate import GenerationError, scenario_by_id

    if split not in ("train", "test"):
        typer.echo(f"error: --split got {split!r}; use train or test", err=True)
        raise typer.Exit(2)
    try:
        chosen = scenario_by_id(scenario, split=split, seed=data_seed)  # type: ignore[arg-type]
    except GenerationError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from None
    console = Console()
    episode = Episode(yes_probability=yes_probability, max_turns=max_turns)
    console.print(f"[bold]{chosen.id}[/] · {chosen.cell} · expected: {chosen.expected.value}")
    console.print("tools: " + ", ".join(chosen.tools))
    for message in episode.reset(chosen, seed=seed):
        _show(console, message)
    while not episode.done:
        text = typer.prompt("assistant", default="", show_default=False)
        result = episode.step(parse_tagged(text), raw=text)
        for message in result.messages:
            _show(console, message)
    trajectory = episode.trajectory()
    console.print(
        f"ended: {trajectory.terminated} · checks: {json.dumps(trajectory.checks)} · leaked: {trajectory.leaked}"
    )


def register(app: typer.Typer) -> None:
    """Add ``sandbox`` to ``app``."""
    app.add_typer(sandbox_app, name="sandbox")
