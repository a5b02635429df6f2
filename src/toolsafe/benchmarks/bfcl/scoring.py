"""BFCL v4 scores: per-category accuracy and the leaderboard aggregates, named as BFCL names them.

Aggregation follows ``bfcl_eval.eval_checker.eval_runner_helper.generate_leaderboard_csv``:

- ``Non-Live Simple AST`` = unweighted mean of the simple languages that were run
  (Python, Java, JavaScript);
- ``Non-Live AST Acc`` = unweighted mean of simple / multiple / parallel / parallel-multiple;
- ``Live Acc`` = mean of the live AST categories weighted by their number of entries;
- ``Irrelevance Detection`` = unweighted mean of irrelevance and live_irrelevance;
- ``Relevance Detection`` = live_relevance;
- ``Multi Turn Acc`` = unweighted mean of the four multi-turn categories.

An aggregate is ``None`` (BFCL's "N/A") when one of its categories was not run. ``Overall Acc`` is
not given: 40 % of it is the agentic categories (web search, memory) this adapter does not run.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from toolsafe.benchmarks.bfcl.data import MULTI_TURN


@dataclass(frozen=True)
class CategoryScore:
    """Accuracy of one category over the entries run."""

    correct: int
    total: int
    errors: int = 0

    @property
    def accuracy(self) -> float:
        return self.correct / self.total if self.total else 0.0


def unweighted_mean(scores: Sequence[float | None]) -> float | None:
    """Mean of accuracies; ``None`` if any is missing (BFCL's ``calculate_unweighted_accuracy``)."""
    if not scores or any(score is None for score in scores):
        return None
    return sum(score for score in scores if score is not None) / len(scores)


def weighted_mean(scores: Sequence[CategoryScore | None]) -> float | None:
    """Sample-weighted accuracy; ``None`` if any is missing (BFCL's ``calculate_weighted_accuracy``)."""
    if not scores or any(score is None for score in scores):
        return None
    present = [score for score in scores if score is not None]
    total = sum(score.total for score in present)
    return sum(score.accuracy * score.total for score in present) / total if total else None


def aggregates(categories: dict[str, CategoryScore]) -> dict[str, float | None]:
    """The BFCL leaderboard columns computable without the agentic categories."""

    def acc(name: str) -> float | None:
        score = categories.get(name)
        return score.accuracy if score is not None else None

    languages = [acc(name) for name in ("simple_python", "simple_java", "simple_javascript")]
    ran_languages = [score for score in languages if score is not None]
    simple = unweighted_mean(ran_languages) if ran_languages else None
    non_live = [simple, acc("multiple"), acc("parallel"), acc("parallel_multiple")]
    live_names = ("live_simple", "live_multiple", "live_parallel", "live_parallel_multiple")
    return {
        "Non-Live AST Acc": unweighted_mean(non_live),
        "Non-Live Simple AST": simple,
        "Python Simple AST": languages[0],
        "Java Simple AST": languages[1],
        "JavaScript Simple AST": languages[2],
        "Non-Live Multiple AST": non_live[1],
        "Non-Live Parallel AST": non_live[2],
        "Non-Live Parallel Multiple AST": non_live[3],
        "Live Acc": weighted_mean([categories.get(name) for name in live_names]),
        "Live Simple AST": acc("live_simple"),
        "Live Multiple AST": acc("live_multiple"),
        "Live Parallel AST": acc("live_parallel"),
        "Live Parallel Multiple AST": acc("live_parallel_multiple"),
        "Irrelevance Detection": unweighted_mean([acc("irrelevance"), acc("live_irrelevance")]),
        "Relevance Detection": acc("live_relevance"),
        "Multi Turn Acc": unweighted_mean([acc(name) for name in MULTI_TURN]),
        "Multi Turn Base": acc("multi_turn_base"),
        "Multi Turn Miss Func": acc("multi_turn_miss_func"),
        "Multi Turn Miss Param": acc("multi_turn_miss_param"),
        "Multi Turn Long Context": acc("multi_turn_long_context"),
    }


def summarize(labels: Sequence[tuple[str, str]]) -> dict[str, CategoryScore]:
    """Count ``(category, label)`` pairs; ``pass`` is correct, ``error`` counts as wrong and as an error."""
    counts: dict[str, list[int]] = {}
    for category, label in labels:
        tally = counts.setdefault(category, [0, 0, 0])
        tally[0] += label == "pass"
        tally[1] += 1
        tally[2] += label == "error"
    return {name: CategoryScore(*tally) for name, tally in counts.items()}


def report(categories: dict[str, CategoryScore], left_out: dict[str, str]) -> dict[str, Any]:
    """The full score dict: aggregates first, then per-category detail and what was not run."""
    return {
        **aggregates(categories),
        "categories": {
            name: {
                "accuracy": score.accuracy,
                "correct": score.correct,
                "total": score.total,
                "errors": score.errors,
            }
            for name, score in categories.items()
        },
        "left_out": dict(left_out),
    }
