"""``toolsafe train sft|grpo --config FILE``: the SFT warm start and GRPO in the sandbox."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from toolsafe.train.config import GRPORecipe, RecipeError, ScenarioData, SFTRecipe, load_recipe

train_app = typer.Typer(help="Train models in the sandbox (SFT warm start, GRPO).", no_args_is_help=True)

ConfigOption = Annotated[Path, typer.Option("--config", help="Recipe YAML (see configs/).")]
OutputOption = Annotated[Path | None, typer.Option("--output-dir", help="Override the recipe's output_dir.")]
StepsOption = Annotated[int | None, typer.Option("--max-steps", help="Override the recipe's max_steps.")]


def _overrides(output_dir: Path | None, max_steps: int | None) -> dict[str, object]:
    overrides: dict[str, object] = {}
    if output_dir is not None:
        overrides["output_dir"] = output_dir
    if max_steps is not None:
        overrides["max_steps"] = max_steps
    return overrides


def _fail(error: Exception) -> typer.Exit:
    typer.echo(f"error: {error}", err=True)
    return typer.Exit(2)


@train_app.command("sft")
def sft(config: ConfigOption, output_dir: OutputOption = None, max_steps: StepsOption = None) -> None:
    """Supervised warm start on the oracle's sandbox conversations."""
    from toolsafe.train.modeling import TrainDependencyError
    from toolsafe.train.sft import train_sft

    try:
        recipe = load_recipe(config, SFTRecipe, _overrides(output_dir, max_steps))
        final = train_sft(recipe, log=typer.echo)
    except (RecipeError, TrainDependencyError) as error:
        raise _fail(error) from None
    typer.echo(str(final))


@train_app.command("grpo")
def grpo(
    config: ConfigOption,
    output_dir: OutputOption = None,
    max_steps: StepsOption = None,
    scenarios: Annotated[
        int,
        typer.Option(
            "--scenarios", min=1, help="With --dry-run: how many of the recipe's scenarios to check."
        ),
    ] = 64,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run", help="Build the data, render prompts and score scripted rollouts; load no model."
        ),
    ] = False,
) -> None:
    """GRPO with multi-turn sandbox rollouts and judge-based rewards."""
    from toolsafe.train.dry_run import dry_run_grpo
    from toolsafe.train.grpo import train_grpo
    from toolsafe.train.modeling import TrainDependencyError

    try:
        recipe = load_recipe(config, GRPORecipe, _overrides(output_dir, max_steps))
        if dry_run:
            typer.echo(dry_run_grpo(recipe, scenarios_limit=scenarios).render())
            return
        final = train_grpo(recipe, log=typer.echo)
    except (RecipeError, TrainDependencyError) as error:
        raise _fail(error) from None
    typer.echo(str(final))


@train_app.command("probe")
def probe(
    model: Annotated[
        Path, typer.Option("--model", help="A transformers checkpoint directory (e.g. runs/…/final).")
    ],
    split: Annotated[
        str, typer.Option("--split", help="Sandbox split of the oracle conversations.")
    ] = "test",
    n: Annotated[int, typer.Option("--n", min=1, help="Scenarios (balanced over the cells).")] = 35,
    seed: Annotated[int, typer.Option("--seed", help="Scenario and episode seed.")] = 0,
) -> None:
    """Teacher-forced decision probe: how often the model picks the oracle's next move (~1 min)."""
    from toolsafe.train.modeling import TrainDependencyError, require_train_extra
    from toolsafe.train.probe import probe_decisions

    if split not in ("train", "test"):
        raise _fail(ValueError(f"--split must be train or test, got {split!r}"))
    if not (model / "config.json").is_file():
        raise _fail(ValueError(f"--model {model}: no config.json there; give a checkpoint directory"))
    try:
        require_train_extra()
        report = probe_decisions(model, ScenarioData(split=split, n=n, seed=seed))  # type: ignore[arg-type]
    except TrainDependencyError as error:
        raise _fail(error) from None
    typer.echo(report.render())


def register(app: typer.Typer) -> None:
    """Add ``train`` to ``app``."""
    app.add_typer(train_app, name="train")
