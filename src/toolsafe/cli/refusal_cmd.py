"""``toolsafe refusal``: train the refusal classifier and score a text with it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

refusal_app = typer.Typer(help="The refusal classifier (REF): train it, score a text.", no_args_is_help=True)


@refusal_app.command("train")
def train_command(
    out: Annotated[
        Path | None, typer.Option(help="Where to write the model JSON (default: the shipped artefact).")
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed for the generated corpus and the solver.")] = 0,
) -> None:
    """Generate the corpus, train TF-IDF + logistic regression, export the model, report held-out accuracy."""
    from toolsafe.refusal import MODEL_PATH, train

    console = Console()
    target = out or MODEL_PATH
    try:
        with console.status("training the refusal classifier") as status:
            report = train(target, seed, progress=lambda message: status.update(message))
    except ImportError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from None
    confusion = report.confusion
    table = Table(title=f"refusal classifier → {report.out}")
    table.add_column("held-out", justify="left")
    table.add_column("value", justify="right")
    table.add_row("accuracy", f"{report.heldout_accuracy:.4f}")
    table.add_row("texts (train / held-out)", f"{report.train_size} / {report.heldout_size}")
    table.add_row("features", str(report.features))
    table.add_row("refusals caught / missed", f"{confusion.true_refusal} / {confusion.missed_refusal}")
    table.add_row("compliance kept / flagged", f"{confusion.true_compliance} / {confusion.false_refusal}")
    for category, accuracy in report.category_accuracy.items():
        table.add_row(f"  {category}", f"{accuracy:.3f}")
    console.print(table)


@refusal_app.command("check")
def check_command(
    text: Annotated[str, typer.Argument(help="The answer to classify.")],
    model: Annotated[Path | None, typer.Option(help="Model JSON (default: the shipped one).")] = None,
) -> None:
    """Print the refusal probability of TEXT and its label."""
    from toolsafe.refusal import RefusalModelError, load_model

    try:
        classifier = load_model(model)
    except RefusalModelError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from None
    score = classifier.score(text)
    label = "refusal" if score >= classifier.threshold else "compliance"
    typer.echo(f"{score:.4f}\t{label}")


def register(app: typer.Typer) -> None:
    """Add ``refusal`` to ``app``."""
    app.add_typer(refusal_app, name="refusal")
