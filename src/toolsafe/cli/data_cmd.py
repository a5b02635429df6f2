"""``toolsafe data``: generate sandbox scenario sets and paraphrase them."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from toolsafe.cli.common import fail_on_user_error

data_app = typer.Typer(help="Generate sandbox scenario data and paraphrase it.", no_args_is_help=True)


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


@data_app.command("augment")
def augment_command(
    source: Annotated[
        Path, typer.Option("--in", help="Scenarios to paraphrase (JSONL from `data generate`).")
    ],
    out: Annotated[Path, typer.Option(help="Output JSONL of paraphrased scenarios (journal beside it).")],
    model: Annotated[
        str, typer.Option(help="Paraphrasing model: openai:BASE_URL#MODEL (any OpenAI-compatible endpoint).")
    ],
    k: Annotated[int, typer.Option(help="Paraphrases asked for per text.")] = 3,
    concurrency: Annotated[int, typer.Option(help="Requests in flight at once.")] = 8,
    temperature: Annotated[float, typer.Option(help="Sampling temperature.")] = 0.8,
    max_length_ratio: Annotated[
        float, typer.Option(help="Longest paraphrase, x the original's length.")
    ] = 2.0,
    near_duplicate: Annotated[
        float, typer.Option(help="Word 3-gram Jaccard above which a paraphrase is a near-duplicate.")
    ] = 0.6,
    balance: Annotated[
        str, typer.Option(help="input: each cell keeps its input share; equal: same count per cell; none.")
    ] = "input",
    seed: Annotated[int, typer.Option(help="Seeds the requests and the balancing draw.")] = 0,
    limit: Annotated[int | None, typer.Option(help="Augment only the first N scenarios.")] = None,
    benchmark_dir: Annotated[
        list[Path] | None,
        typer.Option(
            help="Benchmark data to screen for shared 8-word runs (default: the data on this machine)."
        ),
    ] = None,
    force_test: Annotated[
        bool, typer.Option("--force-test", help="Augment test-split scenarios too (the test split is fixed).")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the counts as JSON.")] = False,
) -> None:
    """Paraphrase prompts and injected texts with an LLM; filter, balance and write new scenarios."""
    from toolsafe.models.openai_api import OpenAIChatModel
    from toolsafe.models.registry import load_model
    from toolsafe.sandbox.augment import AugmentConfig, augment
    from toolsafe.sandbox.generate import read_jsonl

    console = Console(stderr=True)
    with fail_on_user_error():
        config = AugmentConfig(
            k=k,
            temperature=temperature,
            max_length_ratio=max_length_ratio,
            near_duplicate=near_duplicate,
            balance=balance,  # type: ignore[arg-type]  # AugmentConfig names the valid modes
            seed=seed,
            concurrency=concurrency,
            limit=limit,
            allow_test=force_test,
            benchmark_dirs=tuple(benchmark_dir) if benchmark_dir else None,
        )
        if out.resolve() == source.resolve():
            raise ValueError(f"--out {out} is the input file; write the paraphrases to another file")
        scenarios = read_jsonl(source)
        chat_model = load_model(model)
        if isinstance(chat_model, OpenAIChatModel):
            chat_model.concurrency = concurrency
            chat_model.wire_format = "native"  # the requests carry no tools: plain chat
        with Progress(
            TextColumn("[bold]paraphrasing"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=console,
        ) as progress:
            task = progress.add_task("augment", total=None)
            result = augment(
                scenarios,
                chat_model,
                out,
                config,
                progress=lambda done, total: progress.update(task, completed=done, total=total),
            )
    if as_json:
        typer.echo(json.dumps(result.stats, indent=2))
    else:
        _print_augment_summary(result.stats, Console())
    if not result.complete:
        console.print(
            f"[red]{len(result.pending)} scenario(s) got endpoint errors (first: "
            f"{next(iter(result.stats['pending_errors'].values()))}); re-run the same command to retry them"
        )
        raise typer.Exit(1)


def _print_augment_summary(stats: dict[str, Any], console: Console) -> None:
    scenarios, replies, rejected = stats["scenarios"], stats["replies"], stats["rejected"]
    received = sum(stats["candidates"]["received"].values())
    accepted = sum(stats["candidates"]["accepted"].values())
    console.print(
        f"{scenarios['done']}/{scenarios['input']} scenarios done ({scenarios['resumed']} from the journal), "
        f"{scenarios['with_variants']} with at least one variant"
    )
    console.print("replies: " + ", ".join(f"{key} {value}" for key, value in replies.items()))
    funnel = Table(title="paraphrases through the filters")
    funnel.add_column("stage")
    funnel.add_column("reason")
    funnel.add_column("count", justify="right")
    funnel.add_row("received", "", str(received))
    for stage, reasons in rejected.items():
        for reason, count in reasons.items():
            funnel.add_row(f"rejected: {stage}", reason.replace("_", " "), str(count))
    funnel.add_row("accepted", "", str(accepted))
    console.print(funnel)
    balance = stats["balance"]
    cells = Table(title=f"class balance ({balance['mode']})")
    for column in ("cell", "input share", "variants", "written"):
        cells.add_column(column, justify="left" if column == "cell" else "right")
    for cell, available in balance["available"].items():
        share = balance["input_share"].get(cell, 0.0)
        cells.add_row(cell, f"{share:.1%}", str(available), str(balance["kept"].get(cell, 0)))
    console.print(cells)
    if balance["empty_cells"]:
        console.print(f"[yellow]no paraphrase survived for: {', '.join(balance['empty_cells'])}")
    console.print(
        f"wrote {stats['variants']['written']} scenarios to {stats['out']} (journal: {stats['journal']})"
    )


def register(app: typer.Typer) -> None:
    """Add ``data`` to ``app``."""
    app.add_typer(data_app, name="data")
