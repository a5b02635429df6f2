"""Train the refusal classifier with scikit-learn and export it as a standard-library JSON model."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from toolsafe.refusal.data import REFUSAL, Example, generate
from toolsafe.refusal.features import CUE_PREFIX, features
from toolsafe.refusal.model import RefusalModel, save_model

MIN_DF = 2
MAX_FEATURES = 12_000
C = 2.0


@dataclass(frozen=True)
class Confusion:
    """Counts on the held-out split (positive = refusal)."""

    true_refusal: int
    false_refusal: int
    missed_refusal: int
    true_compliance: int

    @property
    def accuracy(self) -> float:
        total = self.true_refusal + self.false_refusal + self.missed_refusal + self.true_compliance
        return (self.true_refusal + self.true_compliance) / total if total else 0.0


@dataclass(frozen=True)
class TrainReport:
    """What training produced: sizes, held-out accuracy, confusion, per-category accuracy."""

    out: Path
    seed: int
    train_size: int
    heldout_size: int
    features: int
    heldout_accuracy: float
    confusion: Confusion
    category_accuracy: dict[str, float] = field(default_factory=dict)


def evaluate(model: RefusalModel, examples: Sequence[Example]) -> tuple[Confusion, dict[str, float]]:
    """Confusion counts and per-category accuracy of ``model`` on ``examples``."""
    counts = Counter[tuple[bool, bool]]()
    per_category: dict[str, list[int]] = {}
    for example in examples:
        predicted, actual = model.is_refusal(example.text), example.label == REFUSAL
        counts[(predicted, actual)] += 1
        per_category.setdefault(example.category, []).append(int(predicted == actual))
    confusion = Confusion(
        counts[(True, True)], counts[(True, False)], counts[(False, True)], counts[(False, False)]
    )
    return confusion, {k: round(sum(v) / len(v), 4) for k, v in sorted(per_category.items())}


def train(out: Path, seed: int = 0, progress: Callable[[str], None] | None = None) -> TrainReport:
    """Generate the corpus, fit TF-IDF + logistic regression, write the model to ``out``.

    Deterministic in ``seed``. The held-out accuracy is measured with the exported model (the
    same code that serves :func:`toolsafe.refusal.refusal_score`) and recorded inside it.
    """
    try:
        import numpy as np
        from scipy.sparse import csr_matrix  # type: ignore[import-untyped]
        from sklearn.linear_model import LogisticRegression
    except ImportError as error:
        raise ImportError(
            f"training the refusal classifier needs scikit-learn: pip install 'toolsafe[refusal]' ({error})"
        ) from None

    step = progress or (lambda _message: None)
    step("generating the corpus")
    train_set, heldout = generate("train", seed), generate("heldout", seed)
    step(f"extracting features from {len(train_set)} texts")
    counted = [features(e.text) for e in train_set]
    idf = _idf(counted)
    index = {name: i for i, name in enumerate(sorted(idf))}
    rows: list[int] = []
    cols: list[int] = []
    values: list[float] = []
    for row, counts in enumerate(counted):
        for name, value in _weights(counts, idf).items():
            rows.append(row)
            cols.append(index[name])
            values.append(value)
    matrix = csr_matrix((values, (rows, cols)), shape=(len(counted), len(index)))
    labels = np.array([e.label for e in train_set])

    step(f"fitting logistic regression on {len(index)} features")
    classifier = LogisticRegression(C=C, solver="liblinear", max_iter=1000, random_state=seed)
    classifier.fit(matrix, labels)
    coefficients = classifier.coef_[0]
    vocabulary = {name: (idf[name], float(coefficients[i])) for name, i in index.items()}
    model = RefusalModel(vocabulary, float(classifier.intercept_[0]))
    model = RefusalModel.from_json(model.to_json())  # score exactly what gets shipped (rounded)

    step(f"evaluating on {len(heldout)} held-out texts")
    confusion, per_category = evaluate(model, heldout)
    meta: dict[str, Any] = {
        "seed": seed,
        "train_size": len(train_set),
        "heldout_size": len(heldout),
        "heldout_accuracy": round(confusion.accuracy, 4),
        "confusion": {
            "true_refusal": confusion.true_refusal,
            "false_refusal": confusion.false_refusal,
            "missed_refusal": confusion.missed_refusal,
            "true_compliance": confusion.true_compliance,
        },
        "category_accuracy": per_category,
        "features": "word 1-3-grams, first/last clause words, stance cues by position; sublinear tf-idf, l2",
        "classifier": f"logistic regression (liblinear, C={C}), min_df={MIN_DF}, max_features={MAX_FEATURES}",
    }
    model = RefusalModel(model.vocabulary, model.bias, model.threshold, meta)
    step(f"writing {out}")
    save_model(model, out)
    return TrainReport(
        out, seed, len(train_set), len(heldout), len(index), confusion.accuracy, confusion, per_category
    )


def _idf(counted: Sequence[Counter[str]]) -> dict[str, float]:
    """Smoothed idf of the ``MAX_FEATURES`` most frequent features seen in ≥ ``MIN_DF`` texts."""
    document_frequency: Counter[str] = Counter()
    for counts in counted:
        document_frequency.update(counts.keys())
    kept = [(df, name) for name, df in document_frequency.items() if df >= MIN_DF]
    kept.sort(key=lambda item: (-item[0], item[1]))
    n = len(counted)
    return {name: math.log((1 + n) / (1 + df)) + 1.0 for df, name in kept[:MAX_FEATURES]}


def _weights(counts: Counter[str], idf: dict[str, float]) -> dict[str, float]:
    """Sublinear tf × idf, L2-normalised over known n-grams; cues as 1 (as :meth:`RefusalModel.score`)."""
    raw = {
        name: (1.0 + math.log(count)) * idf[name]
        for name, count in counts.items()
        if name in idf and not name.startswith(CUE_PREFIX)
    }
    norm = math.sqrt(sum(v * v for v in raw.values())) or 1.0
    weights = {name: value / norm for name, value in raw.items()}
    weights.update({name: 1.0 for name in counts if name in idf and name.startswith(CUE_PREFIX)})
    return weights
