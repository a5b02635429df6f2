"""Helpers shared by the command modules."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer

from toolsafe.models.errors import ModelUnavailableError

USER_ERRORS: tuple[type[BaseException], ...] = (
    ValueError,
    FileNotFoundError,
    KeyError,
    ImportError,
    ModelUnavailableError,
)


@contextmanager
def fail_on_user_error() -> Iterator[None]:
    """Turn expected user errors (bad spec, config, file) into a one-line message and exit code 2."""
    try:
        yield
    except USER_ERRORS as error:
        message = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        typer.echo(f"error: {message}", err=True)
        raise typer.Exit(2) from None
