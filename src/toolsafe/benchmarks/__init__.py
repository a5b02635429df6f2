"""Public benchmarks, one module each (load → run → score): InjecAgent, Agent-SafetyBench, BFCL."""

from __future__ import annotations

from typing import Any

from toolsafe.benchmarks.base import BenchCase, BenchDataError, Benchmark, BenchResult

BENCHMARKS = ("injecagent", "agentsafetybench", "bfcl")


def get_benchmark(
    name: str,
    *,
    agent_style: str = "native",
    judge: str | None = None,
    confirm_tool: bool = True,
    **_: Any,
) -> Benchmark:
    """Build a benchmark adapter by name.

    Args:
        name: One of :data:`BENCHMARKS`.
        agent_style: InjecAgent's agent: ``native`` (tool calling, upstream's "fine-tuned" agent)
            or ``prompted`` (ReAct).
        judge: Model spec of the Agent-SafetyBench judge (ShieldAgent) for the official safety score.
        confirm_tool: Offer ``request_user_confirmation`` beside the benchmark's tools (native
            models can then ask; upstream offers only the case's tools).
    """
    key = name.strip().lower().replace("-", "")
    if key == "injecagent":
        from toolsafe.benchmarks.injecagent import InjecAgent

        style = {"native": "finetuned", "finetuned": "finetuned", "prompted": "prompted"}.get(agent_style)
        if style is None:
            raise ValueError(f"unknown InjecAgent agent style {agent_style!r}; choose native or prompted")
        return InjecAgent(style, confirm_tool=confirm_tool)  # type: ignore[arg-type]
    if key == "agentsafetybench":
        from toolsafe.benchmarks.agentsafetybench import AgentSafetyBench
        from toolsafe.models.registry import load_model

        return AgentSafetyBench(load_model(judge) if judge else None, confirm_tool=confirm_tool)
    if key == "bfcl":
        from toolsafe.benchmarks.bfcl import BFCL

        return BFCL()
    raise ValueError(f"unknown benchmark {name!r}; available: {', '.join(BENCHMARKS)}")


__all__ = ["BENCHMARKS", "BenchCase", "BenchDataError", "BenchResult", "Benchmark", "get_benchmark"]
