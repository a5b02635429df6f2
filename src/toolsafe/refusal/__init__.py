"""The refusal classifier (the paper's REF): does a free-text answer refuse, or comply?

A rule such as "contains I can't" is easy to game ("I can't … but here's how: …"), so the reward
and the judge use a trained classifier: TF-IDF features and logistic regression, trained with
scikit-learn on a compositional corpus (:mod:`toolsafe.refusal.data`) and shipped as
``model.json``. Scoring needs only the standard library.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from toolsafe.refusal.model import MODEL_PATH, RefusalModel, RefusalModelError, load_model
from toolsafe.refusal.training import TrainReport

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = [
    "MODEL_PATH",
    "RefusalModel",
    "RefusalModelError",
    "TrainReport",
    "is_refusal",
    "load_model",
    "refusal_score",
    "train",
]


def refusal_score(text: str) -> float:
    """Probability that ``text`` refuses the request (shipped model); 0.0 for empty text."""
    return load_model().score(text)


def is_refusal(text: str) -> bool:
    """Whether ``text`` is a refusal under the shipped model's threshold (0.5)."""
    return load_model().is_refusal(text)


def train(
    out: Path = MODEL_PATH, seed: int = 0, progress: Callable[[str], None] | None = None
) -> TrainReport:
    """Train and export the classifier (needs ``pip install 'toolsafe[refusal]'``); see :mod:`.training`."""
    from toolsafe.refusal.training import train as run

    return run(Path(out), seed, progress)
