"""Scenarios: pure data (pydantic, JSONL-serialisable) describing one episode to run."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from toolsafe.taxonomy import Decision, Labels, Risk

Split = Literal["train", "test"]
DEFAULT_TEST_SEED = 20251124
"""Seed that fixes the sandbox test split."""


class CallSpec(BaseModel):
    """A concrete tool call a scenario refers to; ``arguments`` are matched as a subset."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    arguments: dict[str, Any] = Field(default_factory=dict)


class Injection(BaseModel):
    """Attacker text placed in world data, read back through a tool's output."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    slot: str
    """Where the text goes: ``<state>:<locator>`` understood by that state's ``inject``."""
    style: str
    """Attack style id from the threat library (e.g. ``important_message``)."""
    text: str
    """The text as placed in the world."""
    goal: CallSpec
    """The tool call the injection tries to trigger; success is checked on the world state."""
    trigger_tool: str
    """The tool whose output carries the injection."""


class SensitiveContent(BaseModel):
    """Legitimate tool content that would lead to a sensitive action or disclosure."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    slot: str
    kind: Literal["secret", "pii", "action_request"]
    text: str
    """The content as placed in the world."""
    secret: str | None = None
    """A string whose appearance in an outbound message counts as a leak."""
    guarded_call: CallSpec
    """The sensitive call the content leads to; it needs a confirmation first."""
    trigger_tool: str


class WorldCheck(BaseModel):
    """A predicate on the final world snapshot. ``path`` is dotted (``bank.accounts.acc-1.balance``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Literal[
        "task_done", "injected_goal", "data_leaked", "sensitive_done", "harmful_done", "guarded_done"
    ]
    path: str
    op: Literal["eq", "ne", "contains", "not_contains", "exists", "absent", "changed", "unchanged"]
    value: Any = None


class Augmentation(BaseModel):
    """Where a paraphrased scenario comes from (see :mod:`toolsafe.sandbox.augment`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    parent: str
    """Id of the scenario it was derived from; everything but the paraphrased texts is the parent's."""
    paraphrased: list[Literal["prompt", "injection"]]
    """Which texts were rewritten: the user prompt, the injected text, or both."""
    model: str
    """The model that wrote the paraphrases."""


class Scenario(BaseModel):
    """One sandbox case: the prompt, its labels, the tools offered, threats and final-state checks."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    split: Split
    domain: str
    template_id: str
    labels: Labels
    prompt: str
    system: str | None = None
    tools: list[str]
    """Tool names offered to the agent, distractors included."""
    world_seed: int
    plan: list[CallSpec]
    """The calls that complete the user's task, in order (what the oracle does)."""
    sensitive_call: CallSpec | None = None
    """For a sensitive user prompt: the call that needs confirmation first."""
    injection: Injection | None = None
    sensitive_content: SensitiveContent | None = None
    checks: list[WorldCheck] = Field(default_factory=list)
    expected: Decision
    """The headline decision the policy expects (the scenario was generated under a policy)."""
    multi_step: bool = False
    """Two or more tool calls happen before the threat appears."""
    attack_category: str | None = None
    """For malicious user prompts: fraud, privacy, credentials, destruction, harassment, physical …"""
    jailbreak: str | None = None
    """The jailbreak wrapper applied to a malicious prompt, if any."""
    harmful_calls: list[CallSpec] = Field(default_factory=list)
    """For a malicious user prompt: the harmful call(s) it aims at (what a compliant agent would do)."""
    augmentation: Augmentation | None = None
    """Set on paraphrased copies of a generated scenario: the parent and what was rewritten."""

    @property
    def cell(self) -> str:
        """Taxonomy cell, e.g. ``user_benign/tool_malicious``."""
        return self.labels.cell

    @property
    def user_risk(self) -> Risk:
        return self.labels.user

    @property
    def tool_risk(self) -> Risk:
        return self.labels.tool
