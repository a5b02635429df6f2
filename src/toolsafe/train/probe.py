"""Teacher-forced decision probe: does the model think the oracle's thought at each turn?

On the oracle's own conversations, one forward pass per conversation scores the oracle's thought
(the text inside ``<think>``) at every assistant turn: the turn is right when the model's top token
is the oracle's at every position of it (``Result: injected; it asks for X, which the user did not
ask for. …``), its log-probability is the thought's. Turns that carry on with the plan and decision
turns (see :func:`~toolsafe.train.data.decision_turns`) are counted apart, decisions also per
taxonomy cell, and the first wrong token of each turn is tallied. Unlike an evaluation, no episode
ends early on a wrong argument, so the decisions are measured even for a model that rarely gets that
far; 35 scenarios of SmolLM2 take ~1 min on 2 CPU cores against ~6 min for an evaluation.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from toolsafe.models.kv_reuse import common_prefix_length
from toolsafe.protocol import parse_tagged
from toolsafe.train.config import ScenarioData
from toolsafe.train.data import data_policy, decision_turns, episode_settings, load_scenarios, oracle_runs
from toolsafe.train.tokens import encode_chat, encode_text

THINK = "<think>"
KINDS = ("routine", "decision", "final")
"""Plain tool calls along the plan; decisions; a closing plain answer after at least one call."""


@dataclass
class ProbeCount:
    """Turns of one kind: how many, how many thoughts the model's top tokens got right, their summed
    log-probability."""

    turns: int = 0
    right: int = 0
    logprob: float = 0.0

    def add(self, right: bool, logprob: float) -> None:
        self.turns += 1
        self.right += right
        self.logprob += logprob

    @property
    def accuracy(self) -> float:
        return self.right / self.turns if self.turns else 0.0

    @property
    def mean_logprob(self) -> float:
        return self.logprob / self.turns if self.turns else 0.0


@dataclass
class ProbeReport:
    """Per kind (see :data:`KINDS`) and per cell (decisions only)."""

    kinds: dict[str, ProbeCount] = field(default_factory=dict)
    cells: dict[str, ProbeCount] = field(default_factory=dict)
    confusions: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    """(kind, oracle's token, model's token) at the first wrong token of a thought -> turns."""

    def render(self) -> str:
        lines = [f"{'turns':<32} {'right':>9} {'accuracy':>9} {'mean logp':>10}"]
        for name, count in [*self.kinds.items(), *sorted(self.cells.items())]:
            lines.append(
                f"{name:<32} {count.right:>4}/{count.turns:<4} {count.accuracy:>9.2f} {count.mean_logprob:>10.2f}"
            )
        lines.append("most frequent first wrong tokens (kind, oracle token, model token):")
        lines += [f"  {key}: {n}" for key, n in self.confusions.most_common(8)]
        return "\n".join(lines)


def probe_decisions(model_path: str | Path, data: ScenarioData, dtype: str = "auto") -> ProbeReport:
    """Score ``model_path`` on the oracle's conversations for ``data`` (see the module docstring).
    ``dtype``: a torch dtype name, or ``auto`` (bf16 where the CPU has it natively, else fp32)."""
    import torch
    from transformers import AutoModelForCausalLM

    from toolsafe.models.hf import native_cpu_dtype
    from toolsafe.train.modeling import load_tokenizer

    if dtype == "auto":
        dtype = native_cpu_dtype()
    tokenizer = load_tokenizer(str(model_path))
    model: Any = AutoModelForCausalLM.from_pretrained(model_path, dtype=getattr(torch, dtype))
    model.eval()
    runs, _ = oracle_runs(load_scenarios(data), data.seed, episode_settings(data), data_policy(data))
    think_length = len(encode_text(tokenizer, THINK))
    report = ProbeReport(kinds={name: ProbeCount() for name in KINDS})
    for run in runs:
        encoded = encode_chat(tokenizer, run.chat)
        with torch.inference_mode():
            logits = model(torch.tensor([encoded.input_ids])).logits[0].float()
        mask = encoded.assistant_mask
        starts = [i for i in range(1, len(mask)) if mask[i] and not mask[i - 1]]
        contents = [m["content"] for m in run.chat if m["role"] == "assistant"]
        for number, (start, content, decides) in enumerate(
            zip(starts, contents, decision_turns(run.chat), strict=True)
        ):
            thought = parse_tagged(content).turn.think
            first = start + (think_length if content.startswith(THINK) else 0)
            expected = encode_text(tokenizer, THINK + thought)[think_length:] if thought else []
            # The thought's tokens; a turn without a thought is scored on its first token.
            # (tokenised alone, a thought may merge differently at its end: keep the part that agrees)
            length = max(common_prefix_length(expected, encoded.input_ids[first:]), 1)
            targets = torch.tensor(encoded.input_ids[first : first + length])
            positions = torch.arange(first, first + len(targets))
            scores = torch.log_softmax(logits[positions - 1], dim=-1)
            predicted = scores.argmax(dim=-1)
            wrong = (predicted != targets).nonzero()
            logprob = float(scores.gather(1, targets[:, None]).sum())
            kind = _kind(number, content, decides)
            report.kinds[kind].add(not len(wrong), logprob)
            if kind == "decision":
                report.cells.setdefault(run.scenario.cell, ProbeCount()).add(not len(wrong), logprob)
            if len(wrong):
                at = int(wrong[0])
                oracle, model_token = int(targets[at]), int(predicted[at])
                report.confusions[(kind, tokenizer.decode([oracle]), tokenizer.decode([model_token]))] += 1
    return report


def _kind(number: int, content: str, decides: bool) -> str:
    if number > 0 and parse_tagged(content).turn.is_final:
        return "final"
    return "decision" if decides else "routine"
