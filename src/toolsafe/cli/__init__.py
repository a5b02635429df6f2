"""The ``toolsafe`` command line. Each command is a thin call into the library."""

from __future__ import annotations

import typer

from toolsafe.cli import (
    bench_cmd,
    data_cmd,
    eval_cmd,
    policy_cmd,
    quickstart_cmd,
    refusal_cmd,
    rewards_cmd,
    sandbox_cmd,
    train_cmd,
)

app = typer.Typer(
    name="toolsafe",
    help="Make tool-using LLM agents safe and keep them useful.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

for _module in (
    quickstart_cmd,
    policy_cmd,
    sandbox_cmd,
    data_cmd,
    refusal_cmd,
    rewards_cmd,
    eval_cmd,
    bench_cmd,
    train_cmd,
):
    _module.register(app)
