"""Training recipes as files: pydantic-validated YAML for the SFT warm start and GRPO.

A bad recipe raises :class:`RecipeError` with one line naming the file, the field and the fix.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from toolsafe.rewards import RewardKind, ShapedWeights, load_weights

Precision = Literal["auto", "fp32", "bf16-mixed", "bf16"]
"""``fp32``: fp32 weights and compute; ``bf16-mixed``: fp32 master weights with bf16 autocast;
``bf16``: pure bf16 weights (GPU only; on CPU small updates round away); ``auto``: ``bf16-mixed``
where the hardware computes in bf16 natively (a GPU with bf16, a CPU with AVX512-BF16 or AMX),
``fp32`` elsewhere (a CPU without them emulates bf16: 2 to 3 times as slow as fp32)."""


class RecipeError(ValueError):
    """A recipe file is missing or invalid; the message names the file and the field."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LoraSpec(_Strict):
    """Train low-rank adapters (PEFT) instead of every weight."""

    r: int = Field(default=16, ge=1)
    alpha: int = Field(default=32, ge=1)
    dropout: float = Field(default=0.05, ge=0.0, lt=1.0)
    target_modules: list[str] = Field(
        default_factory=lambda: ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
    )


class ScenarioData(_Strict):
    """Which sandbox scenarios to train on and how episodes run."""

    split: Literal["train", "test"] = "train"
    n: int = Field(default=64, ge=1)
    seed: int = 0
    file: Path | None = None
    """Train on the first ``n`` scenarios of this JSONL file (``toolsafe data generate`` / ``data
    augment`` output) instead of generating them; ``split`` is then ignored."""
    policy: Path | None = None
    """Policy YAML (default: the shipped policy)."""
    yes_probability: float = Field(default=0.5, ge=0.0, le=1.0)
    """How often the simulated user answers yes to a confirmation request."""
    max_turns: int = Field(default=6, ge=1)


class VllmSpec(_Strict):
    """vLLM generation for GPU runs (``enabled: false`` on CPU)."""

    enabled: bool = False
    mode: Literal["colocate", "server"] = "colocate"
    gpu_memory_utilization: float = Field(default=0.3, gt=0.0, le=1.0)
    tensor_parallel_size: int = Field(default=1, ge=1)
    server_base_url: str | None = None
    enable_sleep_mode: bool = False
    max_model_length: int | None = None


class BaseRecipe(_Strict):
    model: str = "smollm2"
    """``smollm2`` (the embedded model), a local checkpoint directory, or a hub id on machines with hub access."""
    output_dir: Path
    seed: int = 0
    device: Literal["cpu", "auto"] = "cpu"
    precision: Precision = "fp32"
    lora: LoraSpec | None = None
    data: ScenarioData = ScenarioData()
    learning_rate: float = Field(gt=0.0)
    lr_scheduler: Literal["linear", "constant", "cosine"] = "linear"
    """How the learning rate moves over the run (``linear``: down to 0 at the last step, which over a
    run of a few steps halves the total update; ``constant``: the same at every step)."""
    batch_size: int = Field(default=8, ge=1)
    gradient_accumulation_steps: int = Field(default=1, ge=1)
    max_steps: int = -1
    """Stop after this many optimiser steps (``-1``: run the whole schedule)."""
    logging_steps: int = Field(default=1, ge=1)
    save_steps: int = Field(default=50, ge=1)
    save_total_limit: int | None = Field(default=2, ge=1)
    gradient_checkpointing: bool = False
    resume: bool = True
    """Resume from the last complete checkpoint in ``output_dir`` when one exists."""

    @model_validator(mode="after")
    def _cpu_precision(self) -> BaseRecipe:
        if self.device == "cpu" and self.precision == "bf16":
            raise ValueError("precision: 'bf16' swallows small updates on CPU; use 'bf16-mixed' or 'fp32'")
        if self.max_steps == 0 or self.max_steps < -1:
            raise ValueError("max_steps: use a positive step count or -1 for the whole schedule")
        return self


class SFTRecipe(BaseRecipe):
    """Supervised warm start on oracle trajectories."""

    kind: Literal["sft"] = "sft"
    learning_rate: float = Field(default=5e-5, gt=0.0)
    epochs: float = Field(default=1.0, gt=0.0)
    max_length: int = Field(default=1024, ge=32)
    """Longer conversations are cut to this many tokens."""
    warmup_ratio: float = Field(default=0.05, ge=0.0, lt=1.0)
    decision_weight: float = Field(default=1.0, gt=0.0)
    """Loss weight of decision turns (a check, a refusal, the final answer, the action right after the
    user's answer) against plain tool calls. Turns that carry on with a plan outnumber them ~3:1, so
    at weight 1 a small model learns to carry on everywhere; the loss is the weighted token mean."""
    group_by_length: bool = False
    """Batch conversations of similar length together (less padding: ~20% less compute at batch 4)."""


OraclePrefix = Literal["off", "uniform", "decision", "answer", "any"]


class GRPORecipe(BaseRecipe):
    """GRPO in the sandbox: multi-turn rollouts, rewards from the judge."""

    kind: Literal["grpo"] = "grpo"
    init_from: Path | None = None
    """Start from this checkpoint (e.g. the SFT output) instead of ``model``."""
    learning_rate: float = Field(default=1e-5, gt=0.0)
    num_generations: int = Field(default=4, ge=2)
    """Rollouts per scenario; a group shares (scenario, seed)."""
    max_completion_length: int = Field(default=512, ge=8)
    """Token budget of the whole multi-turn conversation after the prompt (model and environment tokens)."""
    max_turn_tokens: int = Field(default=160, ge=4)
    """Most tokens one assistant turn may generate."""
    max_prompt_tokens: int = Field(default=2048, ge=16)
    temperature: float = Field(default=1.0, gt=0.0)
    top_p: float = Field(default=1.0, gt=0.0, le=1.0)
    beta: float = Field(default=0.0, ge=0.0)
    """KL coefficient (0: no reference model is loaded)."""
    loss_type: Literal["grpo", "dapo", "dr_grpo", "bnpo"] = "dapo"
    num_iterations: int = Field(default=1, ge=1)
    reward: RewardKind = "shaped"
    """``paper`` (binary, the paper's), ``shaped`` (graded terms), ``policy`` (binary: strict format
    × the judge's full policy match) or ``policy_clean`` (``policy``, 0 after any failed call)."""
    reward_weights: Path | None = None
    """Weights of the ``shaped`` reward as YAML, every term of ``defaults/shaped_reward.yaml``
    (default: that file)."""
    oracle_prefix: OraclePrefix = "off"
    """Open each rollout with some of the oracle's own turns (prompt tokens, no loss), so the model
    acts from states a correct agent reaches; without this, a small model's groups all fail alike
    before any decision is due. ``uniform``: a seeded random number of turns from 0 up to the
    oracle's first decision (a check or a refusal; turn 0 of a task it carries out without asking);
    ``decision``: exactly up to it, so every rollout starts where the policy is decided;
    ``answer``: as ``decision``, but where that decision is a check, half the scenarios (a seeded
    draw) start just after the user's answer, where the approved action (or, after a "no", the
    closing answer) is due, so groups also differ on the follow-through; ``any``: a seeded random
    turn of the oracle's whole episode, for one-turn rollouts (``rollout_turns: 1``) that train every
    state, the follow-through several turns after an answer included. ``true`` means ``uniform``."""
    rollout_turns: int | None = Field(default=None, ge=1)
    """Most turns the policy writes per rollout after the prefix (default ``data.max_turns``). Fewer
    turns cost less, but the judge sees only those: with ``oracle_prefix: decision``, the oracle
    itself meets the policy on 86% of train scenarios at 4 turns, 94% at 5 and 100% at 6 (a
    sensitive request is confirmed on its first turn; a threat in a tool result can come several
    turns later). ``--dry-run`` prints the oracle's score for a recipe."""
    oracle_completion_turns: int = Field(default=0, ge=0)
    """After the policy's ``rollout_turns``, the oracle writes up to this many more turns before the
    judge scores the episode (roll-in with the policy, roll-out with the expert, as in AggreVaTe and
    LOLS). Its turns are not trained. With ``rollout_turns: 1`` each rollout is one sampled turn whose
    reward is what a correct agent makes of the episode from there: the decision itself gets the
    credit, a rollout costs one turn of generation, and a step holds many more groups."""
    policy_roll_in: int = Field(default=0, ge=0)
    """Before a group's rollouts, the policy writes up to this many turns from the row's start (see
    ``roll_in_to`` and ``roll_in_decoding``), once per group; every rollout of the group starts from
    that state, its turns in the prompt (no loss). With ``oracle_prefix`` and one-turn rollouts this
    trains the decisions where the policy's own episodes go wrong (a result read several turns
    after an answer, an approved action left out) rather than only where the oracle's do."""
    roll_in_to: Literal["draw", "departure"] = "draw"
    """How far the roll-in goes: a seeded draw of 0 to ``policy_roll_in`` turns, or up to
    ``policy_roll_in`` turns, stopping before the first that acts otherwise than the oracle (another
    kind of action, or a call or check about other tools), so the group decides where the policy
    goes wrong."""
    roll_in_decoding: Literal["sample", "greedy"] = "sample"
    """How the policy writes its roll-in: sampled at ``temperature``, or greedily, as
    ``toolsafe eval`` decodes, so groups start where the evaluated agent's own episodes go."""
    shared_prompt_forward: bool = False
    """In the loss's forward and backward pass, run each group's prompt once and only the completions
    per rollout (exact: same log-probabilities and gradients). Most of a one-turn rollout is its
    prompt, so this cuts the pass several times over; activation checkpointing is off for it, so
    memory grows with a group's completion tokens: meant for ``rollout_turns: 1``."""
    guided_rollouts: int = Field(default=0, ge=0)
    """Rollouts per group the oracle writes instead of the policy (off-policy guidance, as in LUFFY).
    Where every sampled rollout fails, the group still varies: the oracle's turns gain probability
    and the policy's own mistakes lose it. Its turns carry loss like sampled ones."""
    contrast_rollouts: int = Field(default=0, ge=0)
    """Rollouts per group the contrast agent writes: the oracle misjudging the decision (executing
    what needs a check, asking about a routine request, reading an injection as ordinary; see
    :func:`toolsafe.sandbox.agents.misjudged`). The judge scores the whole episode (it earns 0), but
    only the token where its first turn departs from the oracle's carries loss, so the group pushes
    that mistake down where the oracle's choice goes up. Without it the model gets signal only on the
    mistakes it already makes, and every group that pays for asking pushes asking up everywhere."""
    contrast_baseline: Literal["group", "others"] = "group"
    """What a group's contrast rollouts are measured against. ``group``: TRL's advantages, the
    contrast inside the group's mean and spread, so where every other rollout wins each of them gets
    a positive advantage on all its tokens. ``others``: the baseline and spread come from the other
    rollouts alone; a contrast rollout gets its shortfall against them (never above 0), and a group
    whose other rollouts all earn the same trains only the contrast's departure token."""
    winnable_only: bool = False
    """Train only on scenarios where the oracle itself meets the policy within ``rollout_turns``.
    Elsewhere every rollout of a group earns 0, which costs generation and teaches nothing, or the
    judge pays a shortcut (acting on a "yes" at once where a correct agent first reads)."""
    balance_decisions: bool = False
    """Train on the scenarios in an order where the decisions the policy expects (execute, confirm,
    refuse) take turns, rather than shuffled; rows past the rarest decision's share are left out.
    Balanced cells are not balanced decisions: with the default policy 5 of the 7 cells expect a
    check, so most groups pay for asking. (On the CPU quickstart this swung the learnt prior the
    other way rather than removing it; see ``docs/experiments.md``.)"""
    generation_precision: Literal["auto", "fp32", "bf16"] = "fp32"
    """Dtype of the autocast used while sampling with transformers (bf16 is ~1.6x faster on AVX512-BF16
    CPUs and 2-3x slower on CPUs without native bf16; ``auto``: bf16 where it is native)."""
    vllm: VllmSpec = VllmSpec()

    @field_validator("oracle_prefix", mode="before")
    @classmethod
    def _prefix_switch(cls, value: object) -> object:
        if isinstance(value, bool):
            return "uniform" if value else "off"
        return value

    @model_validator(mode="after")
    def _groups_fit(self) -> GRPORecipe:
        if self.batch_size % self.num_generations:
            raise ValueError(
                f"batch_size: {self.batch_size} rollouts per step must be a multiple of "
                f"num_generations ({self.num_generations})"
            )
        scripted = self.guided_rollouts + self.contrast_rollouts
        if scripted >= self.num_generations:
            raise ValueError(
                f"guided_rollouts + contrast_rollouts: {scripted} of {self.num_generations} rollouts per "
                "group leaves none to sample; use fewer"
            )
        if scripted and self.vllm.enabled:
            raise ValueError(
                "guided_rollouts, contrast_rollouts: scripted turns have no vLLM log-probabilities for "
                "TRL's importance correction; set them to 0 with vllm.enabled"
            )
        if self.policy_roll_in and self.vllm.enabled:
            raise ValueError(
                "policy_roll_in: not with vLLM yet (the roll-in's generation calls differ between "
                "processes); set it to 0 with vllm.enabled"
            )
        roll_in_shape = {
            "roll_in_decoding": (self.roll_in_decoding, "sample"),
            "roll_in_to": (self.roll_in_to, "draw"),
        }
        for name, (value, default) in roll_in_shape.items():
            if value != default and not self.policy_roll_in:
                raise ValueError(f"{name}: {value} shapes the policy's roll-in; set policy_roll_in too")
        if self.vllm.enabled and self.device == "cpu":
            raise ValueError("vllm.enabled: vLLM needs a GPU; set device: auto or vllm.enabled: false")
        if self.reward_weights is not None:
            if self.reward != "shaped":
                raise ValueError(
                    f"reward_weights: weighs the shaped reward only, but reward is {self.reward!r}"
                )
            self.shaped_weights()
        return self

    def judged_turns(self) -> int:
        """Turns after the prefix the judge sees: the policy's, then the oracle's completion."""
        return (self.rollout_turns or self.data.max_turns) + self.oracle_completion_turns

    def shaped_weights(self) -> ShapedWeights | None:
        """The recipe's shaped-reward weights (``None``: the shipped defaults)."""
        if self.reward_weights is None:
            return None
        if not self.reward_weights.is_file():
            raise ValueError(f"reward_weights: {self.reward_weights} does not exist")
        try:
            return load_weights(self.reward_weights)
        except ValueError as error:
            raise ValueError(f"reward_weights: {error}") from None


RecipeT = TypeVar("RecipeT", SFTRecipe, GRPORecipe)


def load_recipe(path: str | Path, kind: type[RecipeT], overrides: dict[str, Any] | None = None) -> RecipeT:
    """Read and validate a recipe YAML. Relative paths inside it stay relative to the working directory.

    Raises:
        RecipeError: one line naming the file, the first bad field and what is expected.
    """
    file = Path(path)
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RecipeError(f"{file}: no such recipe file") from None
    except yaml.YAMLError as error:
        raise RecipeError(f"{file}: not valid YAML ({str(error).splitlines()[0]})") from None
    if not isinstance(data, dict):
        raise RecipeError(f"{file}: a recipe is a YAML mapping of fields")
    return parse_recipe(merge_overrides(data, overrides or {}), kind, source=str(file))


def merge_overrides(data: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """``data`` with ``overrides`` applied; nested mappings merge key by key."""
    merged = dict(data)
    for key, value in overrides.items():
        current = merged.get(key)
        if isinstance(value, dict) and isinstance(current, dict):
            merged[key] = merge_overrides(current, value)
        else:
            merged[key] = value
    return merged


def parse_recipe(data: dict[str, Any], kind: type[RecipeT], source: str = "recipe") -> RecipeT:
    """Validate a recipe given as a mapping; see :func:`load_recipe`."""
    expected = kind.model_fields["kind"].default
    if data.get("kind", expected) != expected:
        raise RecipeError(f"{source}: kind is {data.get('kind')!r}; this command needs a {expected!r} recipe")
    try:
        return kind.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "(top level)"
        message = first["msg"].removeprefix("Value error, ")
        raise RecipeError(f"{source}: {field}: {message}") from None
