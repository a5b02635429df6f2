"""The BFCL adapter: load → run → score, with verdicts from ``bfcl_eval``'s own checkers."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from itertools import groupby
from pathlib import Path
from typing import Any

from toolsafe.benchmarks.base import BenchCase, BenchDataError, BenchResult, stratified_slice
from toolsafe.benchmarks.bfcl import checker, scoring
from toolsafe.benchmarks.bfcl.data import (
    BENCH,
    CATEGORIES,
    ID_PREFIX,
    IRRELEVANCE,
    LEFT_OUT,
    MULTI_TURN,
    RELEVANCE,
    case_id,
    category_of,
    load_answers,
    load_questions,
    to_openai_tools,
)
from toolsafe.benchmarks.bfcl.multi_turn import build_multi_turn_case, run_multi_turn
from toolsafe.benchmarks.bfcl.reference import reference_calls
from toolsafe.models.base import ChatModel, ChatRequest, ChatResponse
from toolsafe.protocol import AgentTurn, ParsedTurn, ToolCall, to_openai_message


def check_categories(categories: Sequence[str]) -> tuple[str, ...]:
    """Validate a category filter; unknown or unsupported names get a one-line error."""
    chosen: list[str] = []
    for name in categories:
        if name in LEFT_OUT:
            raise ValueError(f"BFCL category {name!r} is not supported here: {LEFT_OUT[name]}")
        if name not in CATEGORIES:
            raise ValueError(f"unknown BFCL category {name!r}; choose from: {', '.join(CATEGORIES)}")
        if name not in chosen:
            chosen.append(name)
    return tuple(chosen)


def build_case(entry: dict[str, Any], ground_truth: list[dict[str, Any]] | None) -> BenchCase:
    """A :class:`BenchCase` for one BFCL entry: its first turn, its tools, the checker's inputs in ``meta``."""
    bfcl_id = str(entry["id"])
    category = category_of(bfcl_id)
    functions = entry.get("function")
    question = entry.get("question")
    if not isinstance(functions, list) or not isinstance(question, list) or not question:
        raise BenchDataError(f"BFCL entry {bfcl_id}: needs a 'function' list and a non-empty 'question'")
    meta: dict[str, Any] = {"category": category, "bfcl_id": bfcl_id, "functions": functions}
    if ground_truth is not None:
        meta["ground_truth"] = ground_truth
    return BenchCase(
        id=case_id(bfcl_id),
        messages=[dict(message) for message in question[0]],
        tools=to_openai_tools(functions, category),
        meta=meta,
    )


def decode_calls(parsed: ParsedTurn) -> checker.Decoded:
    """The turn's tool calls in BFCL's decoded form ``[{name: {param: value}}]``.

    Confirmation requests are not calls of the offered functions and are left out.
    """
    return [{call.name: dict(call.arguments)} for call in parsed.turn.tool_calls]


def judge(case: BenchCase, decoded: checker.Decoded) -> checker.Verdict:
    """BFCL's verdict for a decoded output of ``case``."""
    category = str(case.meta["category"])
    if category in IRRELEVANCE or category in RELEVANCE:
        return checker.check_relevance(decoded, category)
    return checker.check_ast(case.meta["functions"], decoded, case.meta["ground_truth"], category)


def reference_turn(case: BenchCase) -> AgentTurn:
    """What a perfect model answers to a single-turn case.

    The reference calls for AST cases, plain text for irrelevance, and a call of the first offered
    function for relevance (BFCL does not check its values). Multi-turn cases have
    :func:`toolsafe.benchmarks.bfcl.multi_turn.reference_multi_turn`.
    """
    category = str(case.meta["category"])
    if category in MULTI_TURN:
        raise ValueError(f"{case.id} is multi-turn: use reference_multi_turn")
    if category in IRRELEVANCE:
        return AgentTurn(text="None of the available functions can answer this request.")
    if category in RELEVANCE:
        name = str(case.tools[0]["function"]["name"]) if case.tools else "no_function_offered"
        return AgentTurn(tool_calls=(ToolCall(name),))
    calls = reference_calls(case.meta["functions"], case.meta["ground_truth"], category)
    return AgentTurn(tool_calls=tuple(calls))


def _result(case: BenchCase, response: ChatResponse) -> BenchResult:
    message = response.message or to_openai_message(response.parsed.turn)
    meta: dict[str, Any] = {"category": case.meta["category"]}
    if response.parsed.turn.checks:
        meta["checks"] = [check.tool_name for check in response.parsed.turn.checks]
    if response.error is not None:
        return BenchResult(
            case_id=case.id,
            bench=BENCH,
            outputs=[response.raw],
            messages=[*case.messages, message],
            label="error",
            meta=meta,
            error=response.error,
        )
    decoded = decode_calls(response.parsed)
    verdict = judge(case, decoded)
    meta["decoded"] = decoded
    if not verdict.valid:
        meta["error_type"] = verdict.error_type
        meta["errors"] = list(verdict.errors)
    return BenchResult(
        case_id=case.id,
        bench=BENCH,
        outputs=[response.raw],
        messages=[*case.messages, message],
        label="pass" if verdict.valid else "fail",
        meta=meta,
    )


class BFCL:
    """Berkeley Function Calling Leaderboard v4 (``bfcl-eval==2026.3.23``): single-turn and multi-turn categories.

    Args:
        categories: The categories to load (default: all of :data:`CATEGORIES`).
        max_tokens: Generation budget per case.
    """

    name = BENCH

    def __init__(self, categories: Sequence[str] | None = None, max_tokens: int = 1024) -> None:
        self.categories = check_categories(categories) if categories is not None else CATEGORIES
        self.max_tokens = max_tokens

    def load(
        self, data: Path | None = None, limit: int | None = None, categories: Sequence[str] | None = None
    ) -> list[BenchCase]:
        """Load cases category by category, each in file (id) order.

        ``limit``: at most that many in all, a :func:`~toolsafe.benchmarks.base.stratified_slice`
        over the categories (so ``limit`` >= the number of categories covers each one). ``data``
        overrides the folder holding ``BFCL_v4_*.json`` and ``possible_answer/`` (default: the
        installed wheel's ``bfcl_eval/data``).
        """
        checker.ensure_installed()
        chosen = check_categories(categories) if categories is not None else self.categories
        entries = [(category, entry) for category in chosen for entry in load_questions(category, data)]
        picked = stratified_slice(entries, lambda pair: pair[0], limit)
        answers: dict[str, dict[str, list[Any]]] = {}
        cases: list[BenchCase] = []
        for category, entry in picked:
            graded = category not in IRRELEVANCE and category not in RELEVANCE
            if graded and category not in answers:
                answers[category] = load_answers(category, data)
            if graded and entry["id"] not in answers[category]:
                raise BenchDataError(f"BFCL {category}: no possible answer for {entry['id']}")
            if category in MULTI_TURN:
                cases.append(build_multi_turn_case(entry, answers[category][entry["id"]]))
            else:
                cases.append(build_case(entry, answers[category].get(entry["id"]) if graded else None))
        return cases

    def run(self, model: ChatModel, cases: Sequence[BenchCase], batch_size: int = 8) -> Iterator[BenchResult]:
        """Run cases through ``model`` (batched) and yield each judged result.

        Single-turn cases take one request each (``case_id`` = the case id). Multi-turn cases run
        the FC loop, one request per step, ``case_id`` = ``<case id>#<turn>.<step>`` and
        ``context = {"turn", "step"}``; consecutive cases of one kind are batched together.
        """
        checker.ensure_installed()
        size = max(1, batch_size)
        for multi, group in groupby(cases, key=lambda case: case.meta.get("category") in MULTI_TURN):
            if multi:
                yield from run_multi_turn(model, list(group), size, self.max_tokens)
            else:
                yield from self._run_single_turn(model, list(group), size)

    def _run_single_turn(
        self, model: ChatModel, cases: Sequence[BenchCase], size: int
    ) -> Iterator[BenchResult]:
        for start in range(0, len(cases), size):
            batch = cases[start : start + size]
            requests = [
                ChatRequest(
                    messages=case.messages, tools=case.tools, case_id=case.id, max_tokens=self.max_tokens
                )
                for case in batch
            ]
            responses = model.generate(requests)
            if len(responses) != len(batch):
                raise RuntimeError(
                    f"model {model.name!r} returned {len(responses)} responses for {len(batch)} requests"
                )
            for case, response in zip(batch, responses, strict=True):
                yield _result(case, response)

    def score(self, results: Sequence[BenchResult]) -> dict[str, Any]:
        """Per-category accuracy and BFCL's aggregates (see :mod:`toolsafe.benchmarks.bfcl.scoring`)."""
        labels = [
            (
                str(result.meta.get("category") or category_of(result.case_id.removeprefix(ID_PREFIX))),
                result.label,
            )
            for result in results
        ]
        categories = scoring.summarize(labels)
        not_run = {name: "not run" for name in CATEGORIES if name not in categories}
        return scoring.report(categories, {**not_run, **LEFT_OUT})
