"""Sandbox episodes driven turn by turn from generated text (no torch here).

:class:`EpisodeRun` is the one place that turns an assistant turn's text into an environment
step and the environment's answer into the next tagged user turn. The GRPO rollout, the SFT data
builder and the dry run all go through it, so they cannot disagree on the conversation layout.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from toolsafe.models.base import ChatModel, ChatRequest
from toolsafe.protocol import AgentTurn, parse_tagged, render_tagged, to_tagged_chat

if TYPE_CHECKING:
    from toolsafe.judge import Outcome
    from toolsafe.policy import Policy
    from toolsafe.sandbox.episode import Episode
    from toolsafe.sandbox.scenario import Scenario
    from toolsafe.trajectory import Trajectory


@dataclass(frozen=True)
class EpisodeSettings:
    """How the sandbox runs an episode (the simulated user's yes rate and the turn limit)."""

    yes_probability: float = 0.5
    max_turns: int = 6


@dataclass
class EpisodeRun:
    """One episode in progress: the sandbox episode, the tagged chat so far and the OpenAI trace."""

    scenario: Scenario
    seed: int
    episode: Episode
    tools: list[dict[str, Any]]
    chat: list[dict[str, str]]
    messages: list[dict[str, Any]]
    done: bool = False
    turns: int = 0
    stop_reason: str = ""
    pending: list[dict[str, str]] = field(default_factory=list)
    """The environment's answer to the last turn as tagged chat messages (empty when done)."""

    @classmethod
    def start(cls, scenario: Scenario, seed: int, settings: EpisodeSettings) -> EpisodeRun:
        """Reset a fresh episode on ``(scenario, seed)``."""
        from toolsafe.sandbox.episode import Episode

        episode = Episode(
            yes_probability=settings.yes_probability, max_turns=settings.max_turns, wire_format="tagged"
        )
        messages = list(episode.reset(scenario, seed=seed))
        tools = list(episode.tool_schemas())
        return cls(scenario, seed, episode, tools, to_tagged_chat(messages, tools), messages)

    def act(self, text: str, *, stopped: bool) -> list[dict[str, str]]:
        """Apply one assistant turn; return the environment's reply as tagged chat messages.

        ``text`` is the turn without its EOS token; ``stopped`` says whether the model ended the
        turn itself (False: it ran into the token limit, which ends the episode).
        """
        parsed = parse_tagged(text, stopped=stopped)
        result = self.episode.step(parsed, raw=text, finish_reason="stop" if stopped else "length")
        self.turns += 1
        self.chat.append({"role": "assistant", "content": text})
        self.messages.append({"role": "assistant", "content": text})
        self.messages.extend(result.messages)
        self.pending = []
        if result.done or not stopped:
            self.finish("length" if not stopped else "final" if parsed.turn.is_final else "max_turns")
            return []
        self.pending = to_tagged_chat(result.messages)[1:]
        self.chat.extend(self.pending)
        return self.pending

    def finish(self, reason: str) -> None:
        """End the rollout (the episode ended, or the token budget ran out)."""
        self.done = True
        self.stop_reason = self.stop_reason or reason

    def trajectory(self) -> Trajectory:
        """The episode's trajectory; a rollout cut short by the trainer reads as ``max_turns``."""
        trajectory = self.episode.trajectory()
        if not self.episode.done:
            trajectory = trajectory.model_copy(update={"terminated": "max_turns"})
        return trajectory


def score(run: EpisodeRun, policy: Policy) -> Outcome:
    """Judge a finished (or cut-off) rollout under ``policy``."""
    from toolsafe.judge import judge

    return judge(run.trajectory(), run.scenario, policy)


def drive(model: ChatModel, runs: Sequence[EpisodeRun], max_turns: int, policy: Policy | None = None) -> None:
    """Run episodes to the end with a text-level agent (batched per turn), e.g. the oracle.

    Each reply is written back in the canonical tagged rendering of the turn the agent produced.
    """
    advance(model, runs, max_turns, policy)
    for run in runs:
        run.finish("max_turns")


def advance(model: ChatModel, runs: Sequence[EpisodeRun], turns: int, policy: Policy | None = None) -> None:
    """Let ``model`` write the next ``turns`` assistant turns of each live run (the runs stay open)."""
    for _ in range(turns):
        active = [run for run in runs if not run.done]
        if not active:
            return
        for run, (text, stopped) in zip(active, next_turns(model, active, policy), strict=True):
            run.act(text, stopped=stopped)


def next_turns(
    model: ChatModel, runs: Sequence[EpisodeRun], policy: Policy | None = None
) -> list[tuple[str, bool]]:
    """The next assistant turn ``model`` writes in each live run, in its canonical tagged rendering,
    and whether the model ended it (False: an error or the token limit)."""
    requests = [
        ChatRequest(
            messages=run.messages,
            tools=run.tools,
            case_id=f"{run.scenario.id}#{run.turns}",
            seed=run.seed,
            context={"scenario": run.scenario, **({"policy": policy} if policy is not None else {})},
        )
        for run in runs
    ]
    return [
        (
            render_tagged(response.parsed.turn) if response.error is None else "",
            response.error is None and response.finish_reason != "length",
        )
        for response in model.generate(requests)
    ]


def action_kind(text: str) -> tuple[str, frozenset[str]]:
    """What a turn does, ignoring its thought and arguments: ``check`` (with the tools it asks about),
    ``call`` (with the tools it calls: a call to a tool that does not exist is another action) or
    ``answer`` (a final message: a refusal or a closing)."""
    turn = parse_tagged(text).turn
    if turn.checks:
        return "check", frozenset(check.tool_name for check in turn.checks)
    if turn.tool_calls:
        return "call", frozenset(call.name for call in turn.tool_calls)
    return "answer", frozenset()


def decision_turn(run: EpisodeRun) -> int:
    """Where a policy's decision shows in a finished run: the first turn that is not a plain tool call
    (a check or a refusal); the number of turns if there is none.

    A task carried out without any check (its first such turn is the closing answer) was decided on
    its first turn, where an agent that over-asks would have asked: 0."""
    turns = _assistant_turns(run)
    for index, turn in enumerate(turns):
        if turn.checks or not turn.tool_calls:
            closing = not turn.checks and index == len(turns) - 1 and run.stop_reason == "final"
            return 0 if closing else index
    return run.turns


def answer_turn(run: EpisodeRun) -> int:
    """Where the follow-through of a finished run starts: the turn after its decision when that
    decision is a check the user answered (the approved action, or the closing after a "no", is
    due there); its decision turn otherwise (see :func:`decision_turn`)."""
    decided = decision_turn(run)
    turns = _assistant_turns(run)
    answered = decided + 1 < len(turns) and bool(turns[decided].checks)
    return decided + 1 if answered else decided


def _assistant_turns(run: EpisodeRun) -> list[AgentTurn]:
    return [parse_tagged(m["content"]).turn for m in run.chat if m["role"] == "assistant"]


def scenario_rows(scenarios: Sequence[Scenario], seed: int) -> Iterator[tuple[Scenario, int]]:
    """Each scenario with its episode seed (stable: derived from the data seed and the position)."""
    for index, scenario in enumerate(scenarios):
        yield scenario, seed * 100_003 + index
