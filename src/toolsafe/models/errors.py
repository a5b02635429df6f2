"""Errors raised when a model cannot be built or reached (generation errors are data, not these)."""

from __future__ import annotations


class ModelSpecError(ValueError):
    """A model spec, option or file that cannot be used; the message is one line naming the fix."""


class ModelUnavailableError(RuntimeError):
    """A backend that was built but cannot serve requests (endpoint down, model not served)."""
