"""Multi-turn GRPO rollouts in the sandbox, token in / token out.

TRL's built-in tool loop parses Hermes ``<tool_call>`` only and knows nothing of
``<tool_check>``; :class:`SandboxRollout` is a ``rollout_func`` instead. Per turn it samples from
the policy (batched over the live rollouts), parses the text with the project's total parser,
steps the episode, and appends the environment's reply rendered through the chat template.
Sampled ids are concatenated as generated (never re-tokenised); ``env_mask`` is 0 on every
environment token, so tool outputs and check answers carry no loss. Each completion's
:class:`~toolsafe.judge.Outcome` goes to the reward function through the ``outcomes`` column.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from toolsafe.models.base import ChatModel
from toolsafe.models.kv_reuse import common_prefix_length
from toolsafe.policy import Policy
from toolsafe.protocol import parse_tagged
from toolsafe.sandbox.scenario import Scenario
from toolsafe.train.data import decode_prefixes, decode_rows, open_runs, scripted_agent
from toolsafe.train.episodes import EpisodeRun, EpisodeSettings, action_kind, advance, next_turns, score
from toolsafe.train.shared_prompt import generate_from_shared_prompts
from toolsafe.train.tokens import encode_text, environment_turn_text, render

if TYPE_CHECKING:
    from toolsafe.judge import Outcome

Generate = Callable[[list[list[int]], int], tuple[list[list[int]], list[list[float]] | None]]
"""Sample one continuation per context: ``(contexts, max_new_tokens) -> (new ids, logprobs or None)``."""


@dataclass(frozen=True)
class RolloutLimits:
    """Token budgets of one rollout."""

    max_completion_length: int
    """Whole conversation after the prompt: model and environment tokens."""
    max_turn_tokens: int
    max_turns: int
    """Turns the policy writes."""
    oracle_turns: int = 0
    """Turns the oracle writes after them, for the judge only (no tokens in the completion)."""
    roll_in: int = 0
    """Most turns the policy writes before them, once per group (see :func:`roll_in`)."""
    roll_in_to_departure: bool = False
    """Roll in up to ``roll_in`` turns, stopping before the first that acts otherwise than the oracle
    (instead of a seeded draw of 0 to ``roll_in`` turns)."""


@dataclass
class TokenRollout:
    """The token sequence of one rollout and who wrote each token."""

    run: EpisodeRun
    prompt_ids: list[int]
    completion_ids: list[int] = field(default_factory=list)
    env_mask: list[int] = field(default_factory=list)
    logprobs: list[float] = field(default_factory=list)
    guided: bool = False
    """The oracle writes this rollout's turns (off-policy guidance) instead of the policy."""
    contrast: bool = False
    """The contrast agent (the oracle misjudging the decision) writes this rollout's turns; only the
    first token where its first turn departs from the oracle's carries loss (see :meth:`keep_departure`)."""
    departure: int | None = None
    """Where a contrast rollout's first turn leaves the oracle's (index into ``completion_ids``)."""
    prompt_messages: int = 0
    """Messages of ``run.chat`` in the prompt (the rest the policy wrote, or the environment answered)."""
    policy_turns: int = 0
    """Assistant turns after the prompt that are in the completion (the oracle may write more after
    them for the judge; see :attr:`RolloutLimits.oracle_turns`)."""
    acts_as_oracle: bool = True
    """Whether the first turn acts as the oracle does in the same state (see :func:`action_kind`):
    checked only with an oracle completion, which would otherwise pay for a delay it makes up for."""

    def add(self, ids: Sequence[int], *, model: bool, logprobs: Sequence[float] | None = None) -> None:
        self.completion_ids.extend(ids)
        self.env_mask.extend([1 if model else 0] * len(ids))
        self.logprobs.extend(logprobs if logprobs is not None else [0.0] * len(ids))

    def keep_departure(self) -> None:
        """Cut a contrast rollout to its first turn up to the token where it departs from the oracle,
        the only token with loss: the mistake itself, not the turns that follow from it (the judge
        still scores the whole episode). Where it never departs, no token carries loss."""
        at = self.departure
        departs = at is not None and at < len(self.completion_ids)
        keep = at + 1 if at is not None and departs else 1
        self.completion_ids = self.completion_ids[:keep]
        self.logprobs = self.logprobs[:keep]
        self.env_mask = [0] * len(self.completion_ids)
        if departs:
            self.env_mask[-1] = 1


@dataclass
class RolloutTimes:
    """Seconds spent per phase, accumulated over calls (for perf reports)."""

    generation: float = 0.0
    sandbox: float = 0.0
    calls: int = 0


def run_rollouts(
    tokenizer: Any,
    generate: Generate,
    rows: Sequence[tuple[Scenario, int]],
    settings: EpisodeSettings,
    limits: RolloutLimits,
    eos_ids: frozenset[int],
    times: RolloutTimes | None = None,
    lockstep: bool = False,
    prefixes: Sequence[int] = (),
    policy: Policy | None = None,
    guided: Sequence[bool] = (),
    contrast: Sequence[bool] = (),
    roll_in_generate: Generate | None = None,
) -> list[TokenRollout]:
    """Roll out one episode per row with the policy behind ``generate``.

    ``prefixes`` (one per row) lets the oracle write that many opening turns first; they become part
    of the prompt, so they carry no loss. The rows flagged in ``guided`` are written by the oracle to
    the end (off-policy guidance): their turns are tokenised as the policy's own, so they carry loss.
    The rows flagged in ``contrast`` are written by the contrast agent (the oracle misjudging the
    decision); only the token where its first turn departs from the oracle's carries loss.
    With ``lockstep`` every turn calls ``generate`` even when no rollout is live (with a one-token
    placeholder), so distributed generation backends see the same number of calls on every process.
    ``roll_in_generate`` writes the policy's roll-in (default ``generate``; see :func:`roll_in`).
    """
    times = times or RolloutTimes()
    started = time.perf_counter()
    runs = open_runs(rows, settings, prefixes, policy)
    agents = {name: scripted_agent(name) for name in ("oracle", "contrast")}
    if limits.roll_in:
        times.sandbox += time.perf_counter() - started
        roll_in(
            tokenizer, roll_in_generate or generate, runs, limits, eos_ids, times, agents["oracle"], policy
        )
        started = time.perf_counter()
    guided_rows = list(guided) or [False] * len(runs)
    contrast_rows = list(contrast) or [False] * len(runs)
    rollouts = []
    for run, is_guided, is_contrast in zip(runs, guided_rows, contrast_rows, strict=True):
        prompt = encode_text(tokenizer, render(tokenizer, run.chat, generation_prompt=True))
        rollouts.append(
            TokenRollout(run, prompt, guided=is_guided, contrast=is_contrast, prompt_messages=len(run.chat))
        )
    end_of_turn = _end_of_turn_id(tokenizer, eos_ids)

    def scripted_turns(agent_name: str, written: Sequence[TokenRollout]) -> list[list[int]]:
        texts = next_turns(agents[agent_name], [r.run for r in written], policy) if written else []
        return [[*encode_text(tokenizer, text), end_of_turn] for text, _ in texts]

    times.sandbox += time.perf_counter() - started
    for turn in range(limits.max_turns):
        live = [r for r in rollouts if not r.run.done]
        if not live and not lockstep:
            break
        started = time.perf_counter()
        sampled = [r for r in live if not (r.guided or r.contrast)]
        turns = _sample_turns(generate, sampled, limits, lockstep, rollouts[0])
        times.generation += time.perf_counter() - started
        started = time.perf_counter()
        by_contrast = [r for r in live if r.contrast]
        # the oracle's turn: what a guided rollout writes and, on the first turn, what the contrast
        # departs from and (with an oracle completion) what every rollout's action is held to
        everyone = turn == 0 and (limits.oracle_turns or by_contrast)
        asked = live if everyone else [r for r in live if r.guided]
        oracle_ids = {id(r): ids for r, ids in zip(asked, scripted_turns("oracle", asked), strict=True)}
        for rollout in live:
            if rollout.guided:
                turns[id(rollout)] = (oracle_ids[id(rollout)], None)
        contrast_ids = scripted_turns("contrast", by_contrast)
        for rollout, ids in zip(by_contrast, contrast_ids, strict=True):
            turns[id(rollout)] = (ids, None)
            if turn == 0:
                target = oracle_ids[id(rollout)]
                rollout.departure = None if ids == target else common_prefix_length(ids, target)
                if limits.oracle_turns and _same_action(tokenizer, ids, target):
                    rollout.departure = None  # only the thought differs, and the judge cannot see it
        for rollout in live:
            room = min(limits.max_turn_tokens, limits.max_completion_length - len(rollout.completion_ids))
            written, written_logprobs = turns[id(rollout)]
            ids, stopped = _first_turn(written, eos_ids, room)
            logprobs = written_logprobs[: len(ids)] if written_logprobs is not None else None
            rollout.add(ids, model=True, logprobs=logprobs)
            rollout.policy_turns += 1
            text_ids = ids[:-1] if stopped else ids
            text = tokenizer.decode(text_ids, skip_special_tokens=False)
            if turn == 0 and limits.oracle_turns:
                rollout.acts_as_oracle = _same_action(tokenizer, ids, oracle_ids[id(rollout)])
            reply = rollout.run.act(text, stopped=stopped)
            if rollout.run.done or (limits.oracle_turns and turn == limits.max_turns - 1):
                continue  # the reply to a last policy turn carries no loss and informs no later token
            reply_ids = encode_text(tokenizer, environment_turn_text(tokenizer, reply))
            # end at a turn boundary unless a whole turn still fits after the reply: a turn cut by the
            # conversation budget would be judged malformed, and a correct rollout paid nothing
            if (
                len(rollout.completion_ids) + len(reply_ids) + limits.max_turn_tokens
                > limits.max_completion_length
            ):
                rollout.run.finish("budget")
                continue
            rollout.add(reply_ids, model=False)
        times.sandbox += time.perf_counter() - started
    started = time.perf_counter()
    if limits.oracle_turns:
        unfinished = [r.run for r in rollouts if not r.run.done]
        advance(agents["oracle"], unfinished, limits.oracle_turns, policy)
    times.sandbox += time.perf_counter() - started
    for rollout in rollouts:
        rollout.run.finish("max_turns")
        if rollout.contrast:
            rollout.keep_departure()
    times.calls += 1
    return rollouts


def roll_in(
    tokenizer: Any,
    generate: Generate,
    runs: Sequence[EpisodeRun],
    limits: RolloutLimits,
    eos_ids: frozenset[int],
    times: RolloutTimes,
    oracle: ChatModel,
    policy: Policy | None = None,
) -> None:
    """Move each group's runs on by up to ``limits.roll_in`` turns the policy writes, so the group
    starts from a state the policy itself reaches: a seeded draw of 0 to ``roll_in`` turns per group
    or, with ``limits.roll_in_to_departure``, every turn up to the first that acts otherwise than
    ``oracle`` (see :func:`action_kind`), where the policy's own episode goes wrong. One roll-in per group
    is replayed on all its runs, so they still share their state; its turns become prompt tokens (no
    loss). A turn that would end the episode (a final answer, one cut at the token limit, or the
    episode's last turn) is not taken: the group starts there instead."""
    groups: dict[tuple[str, int], list[EpisodeRun]] = {}
    for run in runs:
        groups.setdefault((run.scenario.id, run.seed), []).append(run)
    planned = {
        key: limits.roll_in
        if limits.roll_in_to_departure
        else random.Random(f"{key[0]}:{key[1]}:roll-in").randint(0, limits.roll_in)
        for key in groups
    }
    for turn in range(limits.roll_in):
        moving = [key for key, members in groups.items() if planned[key] > turn and _turn_left(members[0])]
        if not moving:
            return
        started = time.perf_counter()
        contexts = [
            encode_text(tokenizer, render(tokenizer, groups[key][0].chat, generation_prompt=True))
            for key in moving
        ]
        new_ids, _ = generate(contexts, limits.max_turn_tokens)
        times.generation += time.perf_counter() - started
        started = time.perf_counter()
        oracle_turns = (
            next_turns(oracle, [groups[key][0] for key in moving], policy)
            if limits.roll_in_to_departure
            else [None] * len(moving)
        )
        for key, ids, oracle_turn in zip(moving, new_ids, oracle_turns, strict=True):
            turn_ids, stopped = _first_turn(ids, eos_ids, limits.max_turn_tokens)
            text = tokenizer.decode(turn_ids[:-1] if stopped else turn_ids, skip_special_tokens=False)
            departs = oracle_turn is not None and action_kind(text) != action_kind(oracle_turn[0])
            if not stopped or departs or parse_tagged(text).turn.is_final:
                planned[key] = turn  # the group starts before the turn that departs or ends the episode
                continue
            for run in groups[key]:
                run.act(text, stopped=True)
        times.sandbox += time.perf_counter() - started


def _turn_left(run: EpisodeRun) -> bool:
    """Whether a roll-in turn still leaves the episode a turn for the group's own rollouts."""
    return not run.done and run.turns + 1 < run.episode.max_turns


def _same_action(tokenizer: Any, ids: Sequence[int], target: Sequence[int]) -> bool:
    def kind(turn: Sequence[int]) -> tuple[str, frozenset[str]]:
        return action_kind(tokenizer.decode(list(turn), skip_special_tokens=True))

    return kind(ids) == kind(target)


def _sample_turns(
    generate: Generate,
    sampled: Sequence[TokenRollout],
    limits: RolloutLimits,
    lockstep: bool,
    placeholder: TokenRollout,
) -> dict[int, tuple[list[int], list[float] | None]]:
    """One sampled turn per rollout (keyed by ``id``), within the largest remaining turn budget."""
    if not sampled and not lockstep:
        return {}
    rooms = [
        min(limits.max_turn_tokens, limits.max_completion_length - len(r.completion_ids)) for r in sampled
    ]
    contexts = [r.prompt_ids + r.completion_ids for r in sampled] or [placeholder.prompt_ids[:1]]
    new_ids, new_logprobs = generate(contexts, max(rooms or [1]))
    return {
        id(rollout): (new_ids[index], new_logprobs[index] if new_logprobs is not None else None)
        for index, rollout in enumerate(sampled)
    }


def _end_of_turn_id(tokenizer: Any, eos_ids: frozenset[int]) -> int:
    """The token that ends an assistant turn: the tokenizer's EOS when generation stops on it."""
    eos = tokenizer.convert_tokens_to_ids(tokenizer.eos_token) if tokenizer.eos_token else None
    return int(eos) if eos in eos_ids else min(eos_ids)


def _first_turn(ids: Sequence[int], eos_ids: frozenset[int], room: int) -> tuple[list[int], bool]:
    """The sampled ids up to and including the first EOS, within ``room`` tokens; whether EOS was hit."""
    for position, token in enumerate(ids[:room]):
        if token in eos_ids:
            return list(ids[: position + 1]), True
    return list(ids[:room]), False


class SandboxRollout:
    """A TRL ``rollout_func``: ``rollout(prompts, trainer) -> {prompt_ids, completion_ids, logprobs, …}``.

    The trainer must expose the current dataset rows as ``trainer.sandbox_rows`` (see
    :func:`toolsafe.train.grpo.sandbox_trainer_class`); the rows repeat each scenario
    ``num_generations`` times, so a group shares its (scenario, seed).
    """

    def __init__(
        self,
        settings: EpisodeSettings,
        limits: RolloutLimits,
        policy: Policy,
        generation_autocast: str = "fp32",
        scripted: Generate | None = None,
        log_path: Path | None = None,
        guided_per_group: int = 0,
        contrast_per_group: int = 0,
        greedy_roll_in: bool = False,
    ) -> None:
        """``scripted`` replaces sampling from the policy (scripted rollouts for tests and dry runs);
        ``log_path``, when given, gets one JSON line per rollout of the main process (see
        :func:`rollout_record`);
        ``guided_per_group`` rollouts of each group are written by the oracle (see :func:`guided_flags`),
        the next ``contrast_per_group`` by the contrast agent (see :func:`contrast_flags`);
        ``greedy_roll_in`` decodes the policy's roll-in greedily, as the evaluation does."""
        self.scripted = scripted
        self.guided_per_group = guided_per_group
        self.contrast_per_group = contrast_per_group
        self.greedy_roll_in = greedy_roll_in
        self.log_path = log_path
        self.settings = settings
        self.limits = limits
        self.policy = policy
        self.generation_autocast = generation_autocast
        self.times = RolloutTimes()

    def __call__(self, prompts: list[Any], trainer: Any) -> dict[str, Any]:
        rows = decode_rows(trainer.sandbox_rows)
        if len(rows) != len(prompts):
            raise RuntimeError(f"rollout got {len(prompts)} prompts but {len(rows)} dataset rows")
        tokenizer = trainer.processing_class
        eos_ids = frozenset(int(i) for i in trainer.eos_token_ids)
        generate = self._generator(trainer)
        rollouts = run_rollouts(
            tokenizer,
            generate,
            rows,
            self.settings,
            self.limits,
            eos_ids,
            self.times,
            lockstep=bool(trainer.use_vllm) and trainer.accelerator.num_processes > 1,
            prefixes=decode_prefixes(trainer.sandbox_rows),
            policy=self.policy,
            guided=guided_flags(rows, self.guided_per_group),
            contrast=contrast_flags(rows, self.guided_per_group, self.contrast_per_group),
            roll_in_generate=self._generator(trainer, greedy=True) if self.greedy_roll_in else None,
        )
        started = time.perf_counter()
        outcomes = [score(r.run, self.policy) for r in rollouts]
        self.times.sandbox += time.perf_counter() - started
        _log_rollout_metrics(trainer, rollouts)
        if self.log_path is not None and trainer.accelerator.is_main_process:
            step = int(trainer.state.global_step) + 1
            with self.log_path.open("a", encoding="utf-8") as log:
                for rollout, outcome in zip(rollouts, outcomes, strict=True):
                    log.write(json.dumps(rollout_record(step, rollout, outcome)) + "\n")
        return {
            "prompt_ids": [r.prompt_ids for r in rollouts],
            "completion_ids": [r.completion_ids for r in rollouts],
            "logprobs": [r.logprobs for r in rollouts] if trainer.use_vllm else None,
            "env_mask": [r.env_mask for r in rollouts],
            "outcomes": outcomes,
            **({"acts_as_oracle": [r.acts_as_oracle for r in rollouts]} if self.limits.oracle_turns else {}),
        }

    def _generator(self, trainer: Any, greedy: bool = False) -> Generate:
        if self.scripted is not None:
            return self.scripted
        if trainer.use_vllm:
            return _vllm_generator(trainer)
        return _transformers_generator(trainer, self.generation_autocast, greedy)


def guided_flags(rows: Sequence[tuple[Scenario, int]], per_group: int) -> list[bool]:
    """Which rollouts the oracle writes: the first ``per_group`` of each group, a run of consecutive
    rows on the same (scenario, seed). A group whose sampled rollouts fail then still has one that
    meets the policy, so its advantages are not all 0: the oracle's turns are pushed up and the
    policy's own failures down (off-policy guidance, as in LUFFY, arXiv 2504.14945)."""
    return [position < per_group for position in _group_positions(rows)]


def contrast_flags(rows: Sequence[tuple[Scenario, int]], guided: int, per_group: int) -> list[bool]:
    """Which rollouts the contrast agent writes: the ``per_group`` of each group after the oracle's
    ``guided``. Its mistake at the decision (judged: it earns 0) is pushed down where the oracle's
    choice is pushed up, so each group teaches the decision both ways; without it a model that never
    makes a mistake on, say, routine requests gets no signal there while every group that pays for
    asking pushes asking up everywhere."""
    return [written_by_contrast(position, guided, per_group) for position in _group_positions(rows)]


def written_by_contrast(position: int, guided: int, per_group: int) -> bool:
    """Whether the rollout at ``position`` in its group is one the contrast agent writes."""
    return guided <= position < guided + per_group


def _group_positions(rows: Sequence[tuple[Scenario, int]]) -> list[int]:
    """Each row's position in its group (a run of consecutive rows on the same (scenario, seed))."""
    positions: list[int] = []
    for index, (scenario, seed) in enumerate(rows):
        previous = rows[index - 1] if index else None
        same_group = previous is not None and previous[0].id == scenario.id and previous[1] == seed
        positions.append(positions[-1] + 1 if same_group else 0)
    return positions


def rollout_record(step: int, rollout: TokenRollout, outcome: Outcome) -> dict[str, Any]:
    """What one rollout did: the training step it was sampled for, the scenario, the judge's verdict and
    the turns the policy wrote (after any oracle prefix), each followed by the environment's reply."""
    run = rollout.run
    written = run.chat[rollout.prompt_messages :]
    return {
        "step": step,
        "scenario": run.scenario.id,
        "cell": run.scenario.cell,
        "seed": run.seed,
        "expected": outcome.expected.value,
        "taken": outcome.taken,
        "guided": rollout.guided,
        "contrast": rollout.contrast,
        "policy_match": outcome.policy_match,
        "strict_valid": outcome.strict_valid,
        "stop_reason": run.stop_reason,
        "policy_turns": rollout.policy_turns,
        "acts_as_oracle": rollout.acts_as_oracle,
        "conversation": written,
    }


def trim_rollout_log(path: Path, last_step: int) -> None:
    """Drop the records of steps after ``last_step`` (a resumed run samples them again)."""
    if not path.is_file():
        return
    kept = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            step = int(json.loads(line)["step"])
        except (ValueError, KeyError, TypeError):
            continue  # a line the kill cut short
        if step <= last_step:
            kept.append(line + "\n")
    path.write_text("".join(kept), encoding="utf-8")


def _log_rollout_metrics(trainer: Any, rollouts: Sequence[TokenRollout]) -> None:
    log_metric = getattr(trainer, "_log_metric", None)
    if log_metric is None or not rollouts:
        return
    n = len(rollouts)
    log_metric("rollout/turns", sum(r.run.turns for r in rollouts) / n)
    log_metric("rollout/model_tokens", sum(sum(r.env_mask) for r in rollouts) / n)
    log_metric("rollout/env_tokens", sum(len(r.env_mask) - sum(r.env_mask) for r in rollouts) / n)
    for reason in ("final", "length", "budget", "max_turns"):
        log_metric(f"rollout/stop_{reason}", sum(r.run.stop_reason == reason for r in rollouts) / n)


def _transformers_generator(trainer: Any, autocast: str, greedy: bool = False) -> Generate:
    import contextlib
    import copy

    import torch
    from trl.models import unwrap_model_for_generation  # type: ignore[attr-defined]

    tokenizer = trainer.processing_class
    pad_id = tokenizer.pad_token_id

    def generate(contexts: list[list[int]], max_new_tokens: int) -> tuple[list[list[int]], None]:
        device = trainer.accelerator.device
        config = copy.deepcopy(trainer.generation_config)
        config.max_new_tokens = max_new_tokens
        if greedy:
            config.do_sample = False
            config.temperature = config.top_p = config.top_k = config.min_p = None
        cast = (
            torch.autocast(device_type=device.type, dtype=torch.bfloat16)
            if autocast == "bf16"
            else contextlib.nullcontext()
        )
        with (
            unwrap_model_for_generation(
                trainer.model_wrapped,
                trainer.accelerator,
                gather_deepspeed3_params=trainer.args.ds3_gather_for_generation,
                generation_kwargs=trainer.generation_kwargs,
                gradient_checkpointing_kwargs=trainer.args.gradient_checkpointing_kwargs,
            ) as model,
            torch.no_grad(),
            cast,
        ):
            return generate_from_shared_prompts(model, contexts, config, pad_id), None

    return generate


def _vllm_generator(trainer: Any) -> Generate:
    def generate(contexts: list[list[int]], max_new_tokens: int) -> tuple[list[list[int]], list[list[float]]]:
        # vLLM samples at most max_turn_tokens (see grpo_arguments); the rollout cuts each turn to its budget.
        _, completion_ids, logprobs, _ = trainer.vllm_generation.generate(
            prompts=contexts, images=None, num_generations=1
        )
        return completion_ids, [[_finite(lp[0]) for lp in seq] for seq in logprobs]

    return generate


def _finite(logprob: float | None) -> float:
    return float("nan") if logprob is None else float(logprob)
