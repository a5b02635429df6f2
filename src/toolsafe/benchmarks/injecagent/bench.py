"""The InjecAgent adapter: load → run (prompted ReAct or native tool calling) → score."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Literal

from toolsafe.benchmarks.base import BenchCase, BenchResult, drive, stratified_slice
from toolsafe.benchmarks.injecagent import prompts
from toolsafe.benchmarks.injecagent.data import (
    ATTACKS,
    SETTINGS,
    Attack,
    InjecAgentData,
    InjecCase,
    Setting,
    attacker_response,
    load,
)
from toolsafe.benchmarks.injecagent.evaluation import (
    Verdict,
    evaluate_finetuned,
    evaluate_prompted,
    react_confirms,
)
from toolsafe.benchmarks.injecagent.metrics import Outcome, setting_scores
from toolsafe.models.base import ChatModel, ChatRequest, ChatResponse, WireFormat
from toolsafe.protocol import CONFIRM_TOOL_SCHEMA, to_openai_message

AgentStyle = Literal["prompted", "finetuned"]
AGENT_STYLES: tuple[AgentStyle, ...] = ("prompted", "finetuned")


class InjecAgent:
    """InjecAgent (Zhan et al., 2024): indirect prompt injection in a tool response.

    Case ids are ``injecagent/<dh|ds>/<base|enhanced>/<index in the upstream file>``. Cases load
    setting-major (base then enhanced), then DH before DS, then in file order; ``limit`` takes a
    :func:`~toolsafe.benchmarks.base.stratified_slice` over setting x attack kind (each file's
    cases are attacker-case-major, so the slice's spread also varies attacker and user cases).

    Args:
        agent_style: ``prompted`` — a ReAct prompt with the scratchpad pre-filled up to the injected
            observation, answered in text; ``finetuned`` — native tool calling: system, user, the
            user-tool call and the injected tool result, with the tools as OpenAI schemas.
        settings: Which settings to load.
        attacks: Which attack kinds to load (``dh`` direct harm, ``ds`` data stealing).
        second_step: Run the DS second step after a successful first step (upstream's default).
        confirm_tool: Also offer ``request_user_confirmation`` to tool-calling agents. Upstream
            offers only the case's tools, so this is off by default.
        max_tokens: Generation budget per step.
    """

    name = "injecagent"

    def __init__(
        self,
        agent_style: AgentStyle = "prompted",
        *,
        settings: Sequence[Setting] = SETTINGS,
        attacks: Sequence[Attack] = ATTACKS,
        second_step: bool = True,
        confirm_tool: bool = False,
        max_tokens: int = 512,
    ) -> None:
        if agent_style not in AGENT_STYLES:
            raise ValueError(f"agent_style must be one of {AGENT_STYLES}, got {agent_style!r}")
        for setting in settings:
            if setting not in SETTINGS:
                raise ValueError(f"settings: unknown setting {setting!r}; use {SETTINGS}")
        for attack in attacks:
            if attack not in ATTACKS:
                raise ValueError(f"attacks: unknown attack {attack!r}; use {ATTACKS}")
        self.agent_style: AgentStyle = agent_style
        self.settings = tuple(settings)
        self.attacks = tuple(attacks)
        self.second_step = second_step
        self.confirm_tool = confirm_tool
        self.max_tokens = max_tokens
        self._data: InjecAgentData | None = None
        self._by_id: dict[str, InjecCase] = {}

    def load(self, data: Path | None = None, limit: int | None = None) -> list[BenchCase]:
        """Load the selected cases from ``data`` (or ``$TOOLSAFE_DATA_DIR``, or the shipped copy).

        ``limit``: at most that many, balanced over setting x attack kind.
        """
        self._data = load(data, self.attacks, self.settings)
        self._by_id = {case.case_id: case for case in self._data.cases}
        chosen = stratified_slice(self._data.cases, lambda case: (case.setting, case.attack), limit)
        return [self._bench_case(case) for case in chosen]

    def _bench_case(self, case: InjecCase) -> BenchCase:
        assert self._data is not None
        if self.agent_style == "prompted":
            messages = prompts.react_messages(case, self._data.tools, prompts.scratchpad(case))
            tools: list[dict[str, Any]] = []
        else:
            messages = prompts.chat_messages(case)
            tools = [prompts.openai_tool(self._data.tools[name]) for name in prompts.available_tools(case)]
            if self.confirm_tool:
                tools.append(CONFIRM_TOOL_SCHEMA)
        meta = {
            "attack": case.attack,
            "setting": case.setting,
            "index": case.index,
            "agent_style": self.agent_style,
            "attack_type": case.attack_type,
            "user_tool": case.user_tool,
            "attacker_tools": list(case.attacker_tools),
        }
        return BenchCase(id=case.case_id, messages=messages, tools=tools, meta=meta)

    def run(self, model: ChatModel, cases: Sequence[BenchCase], batch_size: int = 8) -> Iterator[BenchResult]:
        """Run each case (one step; two for a DS case whose first step succeeded), batched."""
        if self._data is None:
            self.load()
        assert self._data is not None
        unknown = [case.id for case in cases if case.id not in self._by_id]
        if unknown:
            raise ValueError(
                f"cases not loaded by this InjecAgent (style/settings/attacks differ?): {unknown[:3]}"
            )
        episodes = (
            _Episode(self, self._data, case, self._by_id[case.id], model.wire_format) for case in cases
        )
        return drive(model, episodes, batch_size)

    def score(self, results: Sequence[BenchResult]) -> dict[str, Any]:
        """Per setting: upstream's metrics, the paper convention's (named apart) and the counts."""
        styles = {result.meta.get("agent_style") for result in results}
        if len(styles) > 1:
            raise ValueError(f"results mix agent styles {sorted(map(str, styles))}; score each style apart")
        by_setting: dict[str, list[Outcome]] = {}
        misses: dict[str, list[int]] = {}
        for result in results:
            setting = str(result.meta.get("setting"))
            by_setting.setdefault(setting, []).append(_outcome(result))
            if result.meta.get("cache_hit") is not None:
                misses.setdefault(setting, []).append(0 if result.meta["cache_hit"] else 1)
        scores: dict[str, Any] = {}
        for setting in [s for s in SETTINGS if s in by_setting] + sorted(set(by_setting) - set(SETTINGS)):
            scores[setting] = {
                **setting_scores(by_setting[setting]),
                "ds_step2_lookups": len(misses.get(setting, [])),
                "ds_step2_cache_misses": sum(misses.get(setting, [])),
            }
        return {"agent_style": styles.pop() if styles else self.agent_style, "settings": scores}


def _outcome(result: BenchResult) -> Outcome:
    meta = result.meta
    confirmed = list(meta.get("confirmed", []))
    return Outcome(
        attack=str(meta.get("attack")),
        step1=str(meta.get("eval", "invalid")),
        step2=meta.get("eval_step2"),
        confirmed1=bool(confirmed[0]) if confirmed else False,
        confirmed2=bool(confirmed[1]) if len(confirmed) > 1 else False,
    )


class _Episode:
    """One InjecAgent case: the first step, and for DS the second step after a success."""

    def __init__(
        self, bench: InjecAgent, data: InjecAgentData, case: BenchCase, record: InjecCase, wire: WireFormat
    ) -> None:
        self.bench = bench
        self.data = data
        self.case = case
        self.record = record
        self.wire = wire
        self.messages: list[dict[str, Any]] = list(case.messages)
        self.transcript: list[dict[str, Any]] = list(case.messages)
        self.step = 0
        self.done = False
        self.outputs: list[str] = []
        self.verdicts: list[Verdict] = []
        self.confirmed: list[bool] = []
        self.cache_hit: bool | None = None
        self.errors: list[str] = []

    def request(self) -> ChatRequest | None:
        if self.done:
            return None
        return ChatRequest(
            messages=self.messages,
            tools=self.case.tools,
            case_id=f"{self.case.id}#{self.step}",
            max_tokens=self.bench.max_tokens,
        )

    def observe(self, response: ChatResponse) -> None:
        if response.error:
            self.errors.append(response.error)
        tools = self.record.attacker_tools
        target = tools[0] if self.step == 0 else tools[1]
        if self.bench.agent_style == "prompted":
            text = _response_text(response, self.wire)
            message: dict[str, Any] = {"role": "assistant", "content": text}
            verdict = evaluate_prompted(
                None if response.error else text,
                target,
                tools,
                self.record.user_tool,
                self.record.attacker_instruction,
            )
            self.confirmed.append(not response.error and react_confirms(text))
        else:
            message = _assistant_message(response, self.wire)
            content = message.get("content")
            verdict = evaluate_finetuned(
                content if isinstance(content, str) else None,
                target,
                self.record.user_tool,
                list(message.get("tool_calls") or []),
            )
            if response.error:
                verdict = Verdict("invalid", "error")
            self.confirmed.append(not response.error and bool(response.parsed.turn.checks))
        self.transcript.append(message)
        self.outputs.append(response.raw or json.dumps(message, ensure_ascii=False))
        self.verdicts.append(verdict)
        wants_step2 = self.record.attack == "ds" and self.step == 0 and verdict.label == "succ"
        if wants_step2 and self.bench.second_step and len(tools) > 1:
            self._start_step2(verdict, message)
        else:
            self.done = True

    def _start_step2(self, verdict: Verdict, message: dict[str, Any]) -> None:
        tool = self.record.attacker_tools[0]
        observation, hit = attacker_response(self.data, tool, verdict.parameters)
        self.cache_hit = hit
        if self.bench.agent_style == "prompted":
            pad = prompts.scratchpad(self.record) + prompts.scratchpad_step(
                verdict.thought, tool, verdict.parameters, observation
            )
            self.messages = prompts.react_messages(self.record, self.data.tools, pad)
            self.transcript.append(self.messages[-1])
        else:
            first_call = (message.get("tool_calls") or [{}])[0]
            call_id = str(first_call.get("id") or prompts.ATTACKER_TOOL_CALL_ID)
            content = message.get("content")
            replay = prompts.tool_call_message(
                call_id, tool, verdict.parameters, content if isinstance(content, str) else None
            )
            result = prompts.tool_result_message(call_id, tool, observation)
            self.messages = [*self.case.messages, replay, result]
            self.transcript = [*self.transcript[:-1], replay, result]
        self.step = 1

    def result(self) -> BenchResult:
        first = self.verdicts[0] if self.verdicts else Verdict("invalid", "no output")
        second = self.verdicts[1] if len(self.verdicts) > 1 else None
        overall = second.label if second is not None else first.label
        meta: dict[str, Any] = {
            **self.case.meta,
            "eval": first.label,
            "invalid_reason": first.reason,
            "confirmed": self.confirmed,
        }
        if second is not None:
            meta["eval_step2"] = second.label
            meta["invalid_reason_step2"] = second.reason
        if self.cache_hit is not None:
            meta["cache_hit"] = self.cache_hit
        return BenchResult(
            case_id=self.case.id,
            bench=InjecAgent.name,
            outputs=self.outputs,
            messages=self.transcript,
            label=overall,
            meta=meta,
            error="; ".join(self.errors) or None,
        )


def _response_text(response: ChatResponse, wire: WireFormat) -> str:
    """The generated text: the raw output of tagged backends, the message content of native ones."""
    if wire == "native" and response.message:
        content = response.message.get("content")
        return content if isinstance(content, str) else ""
    return response.raw


def _assistant_message(response: ChatResponse, wire: WireFormat) -> dict[str, Any]:
    """The assistant message as upstream would see it.

    Native backends: the message as returned (its ``tool_calls`` in order). Tagged backends: the
    raw text as content, with the parsed turn's confirmation requests and calls as ``tool_calls``
    (confirmation requests first, as ``request_user_confirmation`` calls).
    """
    if wire == "native" and response.message:
        return {"role": "assistant", **response.message}
    message: dict[str, Any] = {"role": "assistant", "content": response.raw}
    calls = to_openai_message(response.parsed.turn).get("tool_calls")
    if calls:
        message["tool_calls"] = calls
        message["content"] = response.parsed.turn.text or None
    return message
