"""``toolsafe eval`` (sandbox suites and public benchmarks) and ``toolsafe report``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from toolsafe.cli.common import fail_on_user_error
from toolsafe.report import Against
from toolsafe.sandbox.scenario import DEFAULT_TEST_SEED

console = Console()


def _progress() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("eta"),
        TimeRemainingColumn(),
        console=console,
    )


def eval_command(
    out: Annotated[Path, typer.Option(help="Run directory (results.jsonl, metrics.json, report.html).")],
    model: Annotated[
        str,
        typer.Option(help="Model spec: smollm2 | hf:PATH | openai:URL#MODEL | scripted:NAME | replay:FILE."),
    ] = "smollm2",
    suite: Annotated[str, typer.Option(help="Sandbox suite to run (ignored with --bench).")] = "sandbox",
    split: Annotated[str, typer.Option(help="Sandbox split: test or train.")] = "test",
    bench: Annotated[
        str | None,
        typer.Option(help="Public benchmarks, comma-separated: injecagent, agentsafetybench, bfcl."),
    ] = None,
    limit: Annotated[
        int | None,
        typer.Option(
            help="Run at most N cases: the sandbox balanced over cells; each benchmark a fixed"
            " slice covering all its strata (settings/attacks, risk categories, BFCL categories).",
            min=1,
        ),
    ] = None,
    n: Annotated[int, typer.Option(help="Size of the sandbox split.")] = 700,
    seed: Annotated[int, typer.Option(help="Episode seed (simulated user answers).")] = 0,
    scenario_seed: Annotated[
        int,
        typer.Option(
            help="Seed that draws the sandbox scenarios. With --split train and a seed no training "
            "recipe uses, a validation set: the training templates with unseen draws."
        ),
    ] = DEFAULT_TEST_SEED,
    batch_size: Annotated[
        int, typer.Option(help="Episodes advanced together (local batch / endpoint concurrency).")
    ] = 8,
    max_turns: Annotated[int, typer.Option(help="Assistant turns per episode.")] = 8,
    max_tokens: Annotated[int, typer.Option(help="New tokens per assistant turn.")] = 256,
    policy: Annotated[Path | None, typer.Option(help="Policy YAML (default: the shipped policy).")] = None,
    data_dir: Annotated[
        Path | None,
        typer.Option(help="Benchmark data folder (default: $TOOLSAFE_DATA_DIR or the shipped copy)."),
    ] = None,
    judge: Annotated[
        str | None, typer.Option(help="Judge model spec for Agent-SafetyBench's safety score (ShieldAgent).")
    ] = None,
    agent_style: Annotated[str, typer.Option(help="InjecAgent agent style: prompted or native.")] = "native",
    confirm_tool: Annotated[
        bool,
        typer.Option(
            help="Offer request_user_confirmation beside a benchmark's own tools (native models can ask)."
        ),
    ] = True,
) -> None:
    """Evaluate a model on the sandbox suite or on public benchmarks; resumable, writes a report."""
    from toolsafe.evaluate import evaluate_benchmarks, evaluate_sandbox
    from toolsafe.models.registry import load_model
    from toolsafe.policy import load_policy
    from toolsafe.rollout import RolloutConfig

    with fail_on_user_error():
        chat_model = load_model(model)
        check = getattr(chat_model, "check", None)
        if callable(check):
            check()
        with _progress() as progress:
            task = progress.add_task(f"{model} · {bench or suite}", total=None)

            def report(done: int, total: int) -> None:
                progress.update(task, completed=done, total=total)

            if bench:
                names = [b.strip() for b in bench.split(",") if b.strip()]
                options: dict[str, object] = {"agent_style": agent_style, "confirm_tool": confirm_tool}
                if judge:
                    options["judge"] = judge
                result = evaluate_benchmarks(
                    chat_model,
                    model,
                    names,
                    out,
                    limit=limit,
                    data=data_dir,
                    batch_size=batch_size,
                    options=options,
                    progress=report,
                )
            else:
                if suite != "sandbox":
                    raise ValueError(f"unknown suite {suite!r}; available: sandbox")
                config = RolloutConfig(
                    seed=seed, batch_size=batch_size, max_turns=max_turns, max_tokens=max_tokens
                )
                result = evaluate_sandbox(
                    chat_model,
                    model,
                    out,
                    split=split,
                    n=n,
                    limit=limit,
                    scenario_seed=scenario_seed,
                    config=config,
                    policy=load_policy(policy),
                    progress=report,
                )
    _print_headline(result.metrics)
    console.print(f"wrote {out / 'results.jsonl'}, {out / 'metrics.json'}, {out / 'report.html'}")
    if not result.complete:
        failed = len(result.summary.failed) + len(result.bench_failed)
        console.print(
            f"[red]{failed} case(s) failed; re-run the same command to retry them (see {out / 'errors.jsonl'})"
        )
        raise typer.Exit(1)


def _print_headline(metrics: dict[str, object]) -> None:
    overall = metrics.get("overall")
    if isinstance(overall, dict) and overall:
        table = Table(title="sandbox metrics")
        table.add_column("metric")
        table.add_column("value [95% CI]", justify="right")
        table.add_column("n", justify="right")
        for name, est in overall.items():
            table.add_row(name, f"{est['value']:.3f} [{est['low']:.3f}, {est['high']:.3f}]", str(est["n"]))
        console.print(table)
    benches = metrics.get("benchmarks")
    if isinstance(benches, dict):
        for name, scores in benches.items():
            table = Table(title=name)
            table.add_column("metric")
            table.add_column("value", justify="right")
            for key, value in _flat(scores).items():
                if any(part in _DETAIL for part in key.split("/")):
                    continue  # per-category detail stays in metrics.json and the report
                table.add_row(key, f"{value:.4f}" if isinstance(value, float) else str(value))
            console.print(table)


_DETAIL = {"categories", "by_risk", "by_failure_mode", "counts", "left_out", "decisions"}


def _flat(value: object, prefix: str = "") -> dict[str, object]:
    if isinstance(value, dict):
        out: dict[str, object] = {}
        for key, inner in value.items():
            out.update(_flat(inner, f"{prefix}{key}/"))
        return out
    return {prefix.rstrip("/"): value}


def report_command(
    runs: Annotated[
        list[Path], typer.Argument(help="Run directories to compare (the first is the baseline).")
    ],
    out: Annotated[
        Path | None, typer.Option(help="Output HTML (default: comparison.html beside the first run).")
    ] = None,
    against: Annotated[
        Against,
        typer.Option(help="Show each run's change against the first run or the run before it."),
    ] = "first",
) -> None:
    """Re-render one run's report, or compare several runs side by side: each change comes with a 95%
    interval paired over the scenarios both runs share."""
    from toolsafe.report.html import write_comparison, write_run_report

    with fail_on_user_error():
        if len(runs) == 1:
            path = write_run_report(runs[0])
        else:
            path = write_comparison(runs, out or runs[0].parent / "comparison.html", against=against)
    console.print(f"wrote {path}")


def register(app: typer.Typer) -> None:
    """Add ``eval`` and ``report`` to ``app``."""
    app.command("eval")(eval_command)
    app.command("report")(report_command)
