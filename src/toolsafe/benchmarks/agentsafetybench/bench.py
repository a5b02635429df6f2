"""The Agent-SafetyBench adapter: load → run (tool loop with the simulator) → judge → score."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from toolsafe.benchmarks.agentsafetybench import judge as shield
from toolsafe.benchmarks.agentsafetybench.data import (
    AsbCase,
    Environment,
    first_messages,
    load_cases,
    load_schemas,
    openai_tools,
)
from toolsafe.benchmarks.agentsafetybench.metrics import Row, scores
from toolsafe.benchmarks.agentsafetybench.simulator import missing_tool, simulate
from toolsafe.benchmarks.base import BenchCase, BenchResult, drive, stratified_slice
from toolsafe.models.base import ChatModel, ChatRequest, ChatResponse
from toolsafe.protocol import CONFIRM_TOOL_SCHEMA, AgentTurn, to_openai_message

MAX_ROUNDS = 10
"""Upstream's limit on model calls per case."""


def stratum(case: AsbCase) -> tuple[int, str]:
    """The slice stratum of a case: fulfillable (0/1) and its first risk category."""
    return case.fulfillable, case.risks[0] if case.risks else ""


class AgentSafetyBench:
    """Agent-SafetyBench (Zhang et al., 2024): 2,000 cases in 349 simulated tool environments.

    Case ids are ``agentsafetybench/<id>``, loaded in id order; ``limit`` takes a
    :func:`~toolsafe.benchmarks.base.stratified_slice` over fulfillable x risk category. Each case runs up to 10 model
    calls: a tool call is answered by :mod:`~toolsafe.benchmarks.agentsafetybench.simulator` (only
    the first call of a turn runs, as upstream); plain text ends the case; a confirmation request
    also ends it (the benchmark's user never answers). The decision label is ``execute`` (some tool
    call was made), ``confirm``, ``refuse`` (text only) or ``error`` (every model call failed).

    Args:
        judge: A chat model serving ShieldAgent (e.g. an OpenAI-compatible endpoint); when set,
            :meth:`run` judges each case before yielding it.
        confirm_tool: Also offer ``request_user_confirmation`` to tool-calling agents (upstream
            offers only the case's tools, so this is off by default).
        max_tokens: Generation budget per model call (upstream: 2,048).
    """

    name = "agentsafetybench"

    def __init__(
        self, judge: ChatModel | None = None, *, confirm_tool: bool = False, max_tokens: int = 2048
    ) -> None:
        self.judge = judge
        self.confirm_tool = confirm_tool
        self.max_tokens = max_tokens
        self._cases: dict[str, AsbCase] = {}
        self._schemas: dict[str, list[dict[str, Any]]] = {}

    def load(self, data: Path | None = None, limit: int | None = None) -> list[BenchCase]:
        """Load the cases and their environments' tool schemas.

        ``limit``: at most that many, balanced over fulfillable x risk category (a case's first risk).
        """
        cases = load_cases(data)
        self._schemas = load_schemas(data, cases)
        self._cases = {case.case_id: case for case in cases}
        chosen = stratified_slice(cases, stratum, limit)
        return [self._bench_case(case) for case in chosen]

    def _bench_case(self, case: AsbCase) -> BenchCase:
        tools = openai_tools(case, self._schemas)
        if self.confirm_tool and tools:
            tools.append(CONFIRM_TOOL_SCHEMA)
        meta = {
            "id": case.id,
            "risks": list(case.risks),
            "failure_modes": list(case.failure_modes),
            "fulfillable": case.fulfillable,
            "has_tools": case.has_tools,
            "has_dialog": case.dialog is not None,
        }
        return BenchCase(id=case.case_id, messages=first_messages(case), tools=tools, meta=meta)

    def _known(self, cases: Sequence[BenchCase] | Sequence[BenchResult]) -> None:
        if not self._cases:
            self.load()
        ids = [c.id if isinstance(c, BenchCase) else c.case_id for c in cases]
        unknown = [case_id for case_id in ids if case_id not in self._cases]
        if unknown:
            raise ValueError(f"unknown Agent-SafetyBench case ids: {unknown[:3]}")

    def run(self, model: ChatModel, cases: Sequence[BenchCase], batch_size: int = 8) -> Iterator[BenchResult]:
        """Run the tool loop for each case, batched; judge each finished case when a judge is set."""
        self._known(cases)
        episodes = (_Episode(case, self._cases[case.id], self.max_tokens) for case in cases)
        finished = drive(model, episodes, batch_size)
        if self.judge is None:
            return finished
        return self._judged(finished, self.judge, batch_size)

    def _judged(
        self, results: Iterable[BenchResult], judge: ChatModel, batch_size: int
    ) -> Iterator[BenchResult]:
        batch: list[BenchResult] = []
        for result in results:
            batch.append(result)
            if len(batch) >= batch_size:
                yield from self.judge_results(batch, judge)
                batch = []
        if batch:
            yield from self.judge_results(batch, judge)

    def judge_results(self, results: Sequence[BenchResult], judge: ChatModel) -> list[BenchResult]:
        """Ask ShieldAgent about each result (one batched call); returns copies with the verdict in meta.

        ``meta["shield_output"]`` holds the judge's text and ``meta["verdict"]`` ``safe`` /
        ``unsafe``, or None when the answer does not parse (or the call failed).
        """
        self._known(results)
        prompts = [self.judge_prompt(result) for result in results]
        requests = [
            ChatRequest(
                messages=shield.shield_messages(prompt), case_id=f"{result.case_id}#judge", max_tokens=10
            )
            for prompt, result in zip(prompts, results, strict=True)
        ]
        responses = judge.generate(requests) if requests else []
        if len(responses) != len(requests):
            raise ValueError(
                f"judge {judge.name!r} returned {len(responses)} responses for {len(requests)} requests"
            )
        judged: list[BenchResult] = []
        for result, response in zip(results, responses, strict=True):
            text = _text(response, judge)
            verdict = None if response.error else shield.parse_verdict(text)
            meta = {**result.meta, "judged": True, "shield_output": text, "verdict": verdict}
            judged.append(result.model_copy(update={"meta": meta}))
        return judged

    def judge_prompt(self, result: BenchResult) -> str:
        """The ShieldAgent prompt for a finished case."""
        self._known([result])
        return shield.judge_input(self._cases[result.case_id], self._schemas, result.messages)

    def score(self, results: Sequence[BenchResult]) -> dict[str, Any]:
        """Overall / per risk / per failure mode: safety score, no-execution rate, over-refusal."""
        rows = [_row(result) for result in results]
        return {**scores(rows), "exceeded_rounds": sum(1 for r in results if r.meta.get("exceeded_rounds"))}


def _row(result: BenchResult) -> Row:
    meta = result.meta
    return Row(
        decision=result.label or "error",
        fulfillable=int(meta.get("fulfillable", 0)),
        has_tools=bool(meta.get("has_tools")),
        risks=tuple(meta.get("risks", ())),
        failure_modes=tuple(int(mode) for mode in meta.get("failure_modes", ())),
        judged=bool(meta.get("judged")),
        verdict=meta.get("verdict"),
    )


def _text(response: ChatResponse, model: ChatModel) -> str:
    if model.wire_format == "native" and response.message:
        content = response.message.get("content")
        return content if isinstance(content, str) else ""
    return response.raw


class _Episode:
    """One case: model turns until plain text, a confirmation request, or 10 model calls."""

    def __init__(self, case: BenchCase, record: AsbCase, max_tokens: int) -> None:
        self.case = case
        self.record = record
        self.max_tokens = max_tokens
        self.offered: dict[str, Environment] = {}
        for tool, env in record.offered():
            self.offered.setdefault(tool, env)
        self.messages: list[dict[str, Any]] = list(case.messages)
        self.rounds = 0
        self.done = False
        self.outputs: list[str] = []
        self.calls: list[str] = []
        self.confirmed = False
        self.answered = False
        self.errors: list[str] = []

    def request(self) -> ChatRequest | None:
        if self.done or self.rounds >= MAX_ROUNDS:
            return None
        return ChatRequest(
            messages=self.messages,
            tools=self.case.tools,
            case_id=f"{self.case.id}#{self.rounds}",
            max_tokens=self.max_tokens,
        )

    def observe(self, response: ChatResponse) -> None:
        self.rounds += 1
        if response.error:
            self.errors.append(response.error)
            return
        self.answered = True
        self.outputs.append(response.raw or json.dumps(response.message, ensure_ascii=False))
        turn = response.parsed.turn
        if turn.checks:
            self.confirmed = True
            asked = AgentTurn(
                think=turn.think, checks=turn.checks, text=turn.text
            )  # calls wait for the answer
            self.messages.append(
                {"role": "assistant", **to_openai_message(asked, id_prefix=f"call_{self.rounds}")}
            )
            self.done = True
        elif turn.tool_calls:
            self._execute(turn.tool_calls[0].name, dict(turn.tool_calls[0].arguments), turn.tool_calls[0].id)
        else:
            self.messages.append({"role": "assistant", "content": turn.text})
            self.done = True

    def _execute(self, name: str, arguments: dict[str, Any], call_id: str | None) -> None:
        call_id = call_id or f"call_{self.rounds}"
        env = self.offered.get(name)
        result = missing_tool(name) if env is None else simulate(name, arguments, env.parameters)
        call = {
            "id": call_id,
            "type": "function",
            "function": {"name": name, "arguments": json.dumps(arguments)},
        }
        self.messages.append({"role": "assistant", "tool_calls": [call]})
        self.messages.append(
            {"role": "tool", "content": json.dumps(result), "tool_call_id": call_id, "name": name}
        )
        self.calls.append(name)

    def result(self) -> BenchResult:
        if self.calls:
            decision = "execute"
        elif self.confirmed:
            decision = "confirm"
        elif self.answered:
            decision = "refuse"
        else:
            decision = "error"
        meta = {
            **self.case.meta,
            "rounds": self.rounds,
            "calls": self.calls,
            "exceeded_rounds": not self.done,
        }
        return BenchResult(
            case_id=self.case.id,
            bench=AgentSafetyBench.name,
            outputs=self.outputs,
            messages=self.messages,
            label=decision,
            meta=meta,
            error="; ".join(self.errors) or None,
        )
