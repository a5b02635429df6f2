"""``toolsafe data``: generate sandbox scenario sets."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Annotated

import typer

data_app = typer.Typer(help="Generate sandbox scenario data.", no_args_is_help=True)


@data_app.command("generate")
def generate_command(
    out: Annotated[Path, typer.Option(help="Output JSONL file.")],
    split: Annotated[str, typer.Option(help="train or test.")] = "train",
    n: Annotated[int, typer.Option(help="Number of scenarios.")] = 1000,
    seed: Annotated[int, typer.Option(help="Generation seed.")] = 0,
    policy: Annotated[Path | None, typer.Option(help="Policy YAML (default: the shipped one).")] = None,
    hf_dir: Annotated[Path | None, typer.Option(help="Also save a Hugging Face dataset here.")] = None,
) -> None:
    """Write N scenarios of a split, balanced over the policy's cells, to a JSONL file."""
    from toolsafe.policy import PolicyError, load_policy
    from toolsafe.sandbox.generate import GenerationError, generate, save_hf, write_jsonl

    if split not in ("train", "test"):
        typer.echo(f"error: --split got {split!r}; use train or test", err=True)
        raise typer.Exit(2)
    if n < 1:
        typer.echo(f"error: --n got {n}; use at least 1", err=True)
        raise typer.Exit(2)
    try:
        scenarios = generate(split, n, seed, load_policy(policy))  # type: ignore[arg-type]
    except (PolicyError, GenerationError) as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from None
    out.parent.mkdir(parents=True, exist_ok=True)
    write_jsonl(scenarios, out)
    cells = Counter(s.cell for s in scenarios)
    typer.echo(f"wrote {len(scenarios)} {split} scenarios to {out}")
    for cell, count in sorted(cells.items()):
        typer.echo(f"  {cell}: {count}")
    if hf_dir is not None:
        try:
            save_hf(scenarios, hf_dir)
        except ImportError as error:
            typer.echo(f"error: {error}", err=True)
            raise typer.Exit(2) from None
        typer.echo(f"saved Hugging Face dataset to {hf_dir}")


def register(app: typer.Typer) -> None:
    """Add ``data`` to ``app``."""
    app.add_typer(data_app, name="data")
