"""A tiny randomly initialised chat model and an offline BPE tokenizer, built once per test session."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from toolsafe.sandbox.scenario import Scenario
from toolsafe.train.episodes import EpisodeRun, EpisodeSettings
from toolsafe.train.tokens import encode_text, render

pytest.importorskip("trl", reason="training tests need the train extra: pip install 'toolsafe[train]'")


@pytest.fixture(scope="session")
def tiny_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Directory of a 2-layer random Llama with a byte-level BPE tokenizer and a ChatML template."""
    from toolsafe.train.tiny import build_tiny_checkpoint

    return build_tiny_checkpoint(tmp_path_factory.mktemp("tiny-chat-model"))


@pytest.fixture(scope="session")
def tiny_tokenizer(tiny_checkpoint: Path) -> object:
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(tiny_checkpoint)


# --------------------------------------------------------------------------- scripted policy

FINAL = "<think>done</think>The task is complete."


def turn_texts(scenario: Scenario) -> list[str]:
    """What the scripted policy writes turn by turn: one tagged call per plan step, then a final answer."""
    calls = [
        "<tool_call>" + json.dumps({"name": c.name, "arguments": c.arguments}) + "</tool_call>"
        for c in scenario.plan
    ]
    return [*calls, FINAL]


class ScriptedPolicy:
    """``generate(contexts, max_new_tokens)`` for :func:`toolsafe.train.rollout.run_rollouts`.

    Each context is matched to its rollout by prompt prefix; the turn index counts the ``<|im_start|>``
    tokens already in the completion (each environment turn opens two: user, assistant).
    """

    def __init__(
        self, tokenizer: Any, rows: Sequence[tuple[Scenario, int]], settings: EpisodeSettings
    ) -> None:
        self.tokenizer = tokenizer
        self.eos_id = tokenizer.convert_tokens_to_ids(tokenizer.eos_token)
        self.turn_start_id = tokenizer.convert_tokens_to_ids("<|im_start|>")
        self.prompts: list[tuple[list[int], Scenario]] = []
        for scenario, seed in rows:
            run = EpisodeRun.start(scenario, seed, settings)
            self.prompts.append(
                (encode_text(tokenizer, render(tokenizer, run.chat, generation_prompt=True)), scenario)
            )
        self.written: list[str] = []

    final = FINAL

    @staticmethod
    def turn_texts(scenario: Scenario) -> list[str]:
        return turn_texts(scenario)

    def __call__(self, contexts: list[list[int]], max_new_tokens: int) -> tuple[list[list[int]], None]:
        out = []
        for context in contexts:
            prompt, scenario = next((p, s) for p, s in self.prompts if context[: len(p)] == p)
            turn = context[len(prompt) :].count(self.turn_start_id) // 2
            texts = turn_texts(scenario)
            text = texts[min(turn, len(texts) - 1)]
            self.written.append(text)
            out.append([*encode_text(self.tokenizer, text), self.eos_id])
        return out, None


@pytest.fixture(scope="session")
def scripted_policy() -> type[ScriptedPolicy]:
    """The scripted token-level policy class (tests build it with their own rows)."""
    return ScriptedPolicy
