"""The trained refusal classifier as data: TF-IDF weights and a logistic-regression head in JSON.

Inference needs only the standard library: sublinear term frequency × idf, L2-normalised over
the known n-gram features, dotted with the weights; plus the weights of the binary stance cues
(``x:…``, kept out of the normalisation so that a long text does not dilute them); through a
sigmoid.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from toolsafe.refusal.features import CUE_PREFIX, features

MODEL_PATH = Path(__file__).with_name("model.json")
"""The shipped artefact, written by :func:`toolsafe.refusal.train`."""

FORMAT = "toolsafe-refusal-v1"


class RefusalModelError(ValueError):
    """A model file is missing or malformed; the message names the file and how to rebuild it."""


@dataclass(frozen=True)
class RefusalModel:
    """Feature → (idf, weight), a bias and a decision threshold, plus how the model was made."""

    vocabulary: dict[str, tuple[float, float]]
    bias: float
    threshold: float = 0.5
    meta: dict[str, Any] = field(default_factory=dict)

    def score(self, text: str) -> float:
        """Probability that ``text`` is a refusal; 0.0 for empty or whitespace-only text."""
        if not text.strip():
            return 0.0
        total = cues = norm = 0.0
        vocabulary = self.vocabulary
        for name, count in features(text).items():
            entry = vocabulary.get(name)
            if entry is None:
                continue
            if name.startswith(CUE_PREFIX):
                cues += entry[1]
                continue
            value = (1.0 + math.log(count)) * entry[0]
            norm += value * value
            total += value * entry[1]
        margin = self.bias + cues + (total / math.sqrt(norm) if norm else 0.0)
        return 1.0 / (1.0 + math.exp(-margin)) if margin > -500 else 0.0

    def is_refusal(self, text: str) -> bool:
        """Whether the score reaches the threshold."""
        return self.score(text) >= self.threshold

    def to_json(self) -> dict[str, Any]:
        """The artefact's JSON form (weights rounded; features sorted for stable diffs)."""
        return {
            "format": FORMAT,
            "threshold": self.threshold,
            "bias": round(self.bias, 6),
            "meta": self.meta,
            "vocabulary": {k: [round(v[0], 4), round(v[1], 5)] for k, v in sorted(self.vocabulary.items())},
        }

    @classmethod
    def from_json(cls, data: Any, source: str = "refusal model") -> RefusalModel:
        """Validate and build a model from its JSON form."""
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise RefusalModelError(
                f"{source}: not a {FORMAT} file; rebuild it with `toolsafe refusal train`"
            )
        try:
            vocabulary = {str(k): (float(v[0]), float(v[1])) for k, v in data["vocabulary"].items()}
            return cls(vocabulary, float(data["bias"]), float(data.get("threshold", 0.5)), dict(data["meta"]))
        except (KeyError, TypeError, ValueError, IndexError, AttributeError) as error:
            raise RefusalModelError(
                f"{source}: malformed ({error!r}); rebuild it with `toolsafe refusal train`"
            ) from None


def save_model(model: RefusalModel, path: Path) -> None:
    """Write the artefact as compact JSON."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(model.to_json(), ensure_ascii=False, separators=(",", ":")) + "\n")


def load_model(path: str | Path | None = None) -> RefusalModel:
    """Load a model file (the shipped one when ``path`` is None); cached per path."""
    return _load(str(Path(path).resolve()) if path is not None else str(MODEL_PATH))


@cache
def _load(path: str) -> RefusalModel:
    try:
        data = json.loads(Path(path).read_text())
    except OSError as error:
        raise RefusalModelError(
            f"{path}: cannot read ({error.strerror}); build it with `toolsafe refusal train`"
        ) from None
    except ValueError as error:
        raise RefusalModelError(f"{path}: not JSON ({error})") from None
    return RefusalModel.from_json(data, path)
