"""Metrics and self-contained HTML reports of evaluation runs."""

from typing import Literal

Against = Literal["first", "previous"]
"""What a comparison measures each run's change against: the first run, or the run before it."""
