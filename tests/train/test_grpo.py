"""GRPO in the sandbox on a tiny model: steps run, environment tokens carry no loss, runs resume."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import torch
import yaml

from toolsafe.train.config import GRPORecipe, parse_recipe
from toolsafe.train.data import decode_rows
from toolsafe.train.grpo import build_grpo_trainer, train_grpo


def _recipe(checkpoint: Path, out: Path, **fields: Any) -> dict[str, Any]:
    return {
        "kind": "grpo",
        "model": str(checkpoint),
        "output_dir": str(out),
        "max_steps": 2,
        "batch_size": 4,
        "num_generations": 2,
        "learning_rate": 1e-3,
        "max_prompt_tokens": 8192,
        "max_completion_length": 64,
        "max_turn_tokens": 16,
        "save_steps": 1,
        "data": {"n": 4, "seed": 2, "max_turns": 3, "yes_probability": 1.0},
        **fields,
    }


def _state(run: Path) -> dict[str, Any]:
    states = sorted(
        run.glob("checkpoint-*/trainer_state.json"), key=lambda p: int(p.parent.name.split("-")[1])
    )
    return dict(json.loads(states[-1].read_text()))


def _rollouts_per_step(run: Path) -> dict[int, int]:
    records = [json.loads(line) for line in (run / "rollouts.jsonl").read_text().splitlines()]
    return dict(Counter(record["step"] for record in records))


def test_two_steps_run_and_log_every_reward_term(tiny_checkpoint: Path, tmp_path: Path) -> None:
    recipe = parse_recipe(_recipe(tiny_checkpoint, tmp_path / "run"), GRPORecipe)
    final = train_grpo(recipe, log=lambda _: None)
    assert (final / "config.json").is_file()
    history = [entry for entry in _state(tmp_path / "run")["log_history"] if "reward" in entry]
    assert [entry["step"] for entry in history] == [1, 2]
    for entry in history:
        assert "reward_terms/decision" in entry and "reward_terms/format" in entry
        assert entry["rollout/turns"] >= 1
        groups = {k.removeprefix("groups/"): v for k, v in entry.items() if k.startswith("groups/")}
        assert sum(groups.values()) == 2  # 4 rollouts per step in groups of 2
        for cell, count in groups.items():
            assert 0 <= entry[f"groups_varied/{cell}"] <= count
        all_alike = entry["frac_reward_zero_std"] == 1.0
        assert all_alike == (sum(entry[f"groups_varied/{cell}"] for cell in groups) == 0)
    records = [json.loads(line) for line in (tmp_path / "run" / "rollouts.jsonl").read_text().splitlines()]
    assert _rollouts_per_step(tmp_path / "run") == {1: 4, 2: 4}
    for record in records:
        written = record["conversation"]
        assert written and written[0]["role"] == "assistant"  # the turns the policy wrote, not the prompt
        assert record["taken"] in ("execute", "refuse", "confirm", "none")


def test_lora_run_trains_adapters_and_saves_a_merged_checkpoint(
    tiny_checkpoint: Path, tmp_path: Path
) -> None:
    lora = {"r": 4, "alpha": 8, "target_modules": ["q_proj", "v_proj"]}
    recipe = parse_recipe(_recipe(tiny_checkpoint, tmp_path / "lora", max_steps=1, lora=lora), GRPORecipe)
    final = train_grpo(recipe, log=lambda _: None)
    assert (final / "config.json").is_file() and not (final / "adapter_config.json").exists()
    assert (tmp_path / "lora" / "checkpoint-1" / "adapter_config.json").is_file()


def test_a_batch_without_reward_variance_skips_the_loss_and_leaves_the_weights(
    tiny_checkpoint: Path, tmp_path: Path
) -> None:
    import torch

    recipe = parse_recipe(
        _recipe(tiny_checkpoint, tmp_path / "flat", max_steps=1, reward="policy"), GRPORecipe
    )
    trainer = build_grpo_trainer(recipe, log=lambda _: None)
    before = {name: p.detach().clone() for name, p in trainer.model.named_parameters()}
    with_grad: list[bool] = []
    trainer.model.register_forward_hook(lambda *_: with_grad.append(torch.is_grad_enabled()))
    trainer.train()
    (step,) = [entry for entry in trainer.state.log_history if "reward" in entry]
    assert step["frac_reward_zero_std"] == 1.0  # an untrained tiny model fails every episode alike
    assert step["skipped_zero_advantage"] == 1.0
    assert with_grad and not any(with_grad)  # it generated, but never ran a forward pass for the loss
    after = dict(trainer.model.named_parameters())
    assert all(torch.equal(before[name], after[name]) for name in before)


def test_rollouts_with_advantage_zero_or_no_loss_token_leave_the_loss_and_gradient_unchanged(
    tiny_checkpoint: Path, tmp_path: Path
) -> None:
    import torch
    from trl import GRPOTrainer  # type: ignore[attr-defined]

    recipe = parse_recipe(_recipe(tiny_checkpoint, tmp_path / "rows", max_steps=1), GRPORecipe)
    trainer = build_grpo_trainer(recipe, log=lambda _: None)
    rows = [row for row in trainer.train_dataset for _ in range(recipe.num_generations)][: recipe.batch_size]
    trainer.model.train()
    trainer.current_gradient_accumulation_steps = 1  # set by training_step in a real run
    batch = trainer._generate_and_score_completions(rows)
    batch["advantages"] = torch.tensor([0.9, 0.0, -0.3, 0.5])
    batch["tool_mask"][3] = 0  # no token of it in the loss, as a contrast that never departs
    assert trainer._rows_with_advantage(batch)["completion_ids"].shape[0] == 2

    def loss_and_grad(compute: Any) -> tuple[float, torch.Tensor]:
        trainer.model.zero_grad()
        loss = compute(trainer.model, dict(batch))
        loss.backward()
        return float(loss.detach()), trainer.model.get_output_embeddings().weight.grad.clone()

    full_loss, full_grad = loss_and_grad(
        lambda model, inputs: GRPOTrainer.compute_loss(trainer, model, inputs)
    )
    kept_loss, kept_grad = loss_and_grad(trainer.compute_loss)
    assert full_grad.abs().sum() > 0
    assert kept_loss == pytest.approx(full_loss, rel=1e-5)
    assert torch.allclose(kept_grad, full_grad, atol=1e-6)
    assert trainer._metrics["train"]["rollouts_in_loss"][-1] == 2.0


def _scored_batch(checkpoint: Path, out: Path, rows: list[int], **fields: Any) -> tuple[Any, dict[str, Any]]:
    """A trainer with one oracle and one contrast rollout per group, and one generated, scored batch of
    the dataset rows at ``rows`` (each a group's worth of times)."""
    recipe = parse_recipe(
        _recipe(
            checkpoint,
            out,
            **{
                "max_steps": 1,
                "guided_rollouts": 1,
                "contrast_rollouts": 1,
                "reward": "policy",
                "max_completion_length": 1024,
                "max_turn_tokens": 160,
                "data": {"n": 4, "seed": 2, "max_turns": 6, "yes_probability": 1.0},
                **fields,
            },
        ),
        GRPORecipe,
    )
    trainer = build_grpo_trainer(recipe, log=lambda _: None)
    batch_rows = [dict(trainer.train_dataset[i]) for i in rows]  # one dict each: TRL writes into them
    trainer.model.train()
    trainer.current_gradient_accumulation_steps = 1
    return trainer, trainer._generate_and_score_completions(batch_rows)


def test_contrast_rollouts_earn_nothing_and_put_one_token_in_the_loss(
    tiny_checkpoint: Path, tmp_path: Path
) -> None:
    fields = {"batch_size": 3, "num_generations": 3, "oracle_prefix": "decision"}
    trainer, batch = _scored_batch(tiny_checkpoint, tmp_path / "contrast", [0, 0, 0], **fields)
    oracle, contrast, _ = batch["tool_mask"] * batch["completion_mask"]
    assert int(contrast.sum()) == 1 and int(oracle.sum()) > 1  # the contrast's departure, the oracle's turns
    (record_oracle, record_contrast, _) = [
        json.loads(line) for line in (tmp_path / "contrast" / "rollouts.jsonl").read_text().splitlines()
    ]
    assert record_oracle["guided"] and record_oracle["policy_match"]
    assert record_contrast["contrast"] and not record_contrast["policy_match"]
    assert batch["advantages"][0] > 0 > batch["advantages"][1]
    loss = trainer.compute_loss(trainer.model, batch)
    loss.backward()
    assert trainer.model.get_output_embeddings().weight.grad.abs().sum() > 0


def test_one_turn_rollouts_train_with_shared_prompts_and_the_contrast_outside_the_baseline(
    tiny_checkpoint: Path, tmp_path: Path
) -> None:
    fields = {
        "batch_size": 8,
        "num_generations": 4,
        "contrast_baseline": "others",
        "oracle_prefix": "any",
        "rollout_turns": 1,
        "oracle_completion_turns": 5,
        "shared_prompt_forward": True,
        "gradient_checkpointing": True,
    }
    trainer, batch = _scored_batch(tiny_checkpoint, tmp_path / "one", [0] * 4 + [1] * 4, **fields)
    records = [json.loads(line) for line in (tmp_path / "one" / "rollouts.jsonl").read_text().splitlines()]
    assert [r["policy_turns"] for r in records] == [1] * 8
    oracle = [r for r in records if r["guided"]]
    assert all(r["policy_match"] and r["acts_as_oracle"] for r in oracle)  # the oracle wins its groups
    # the random model's turns act otherwise than the oracle: only the oracle's rollouts gain
    advantages = batch["advantages"].view(2, 4)
    assert bool((advantages[:, 0] > 0).all()) and bool((advantages[:, 1] <= 0).all())
    shared = trainer.compute_loss(trainer.model, batch)
    shared.backward()
    shared_grad = trainer.model.get_output_embeddings().weight.grad.clone()
    trainer.model.zero_grad()
    trainer.shared_prompt = False
    full = trainer.compute_loss(trainer.model, batch)
    full.backward()
    assert torch.isclose(shared, full, atol=1e-5)
    assert torch.allclose(shared_grad, trainer.model.get_output_embeddings().weight.grad, atol=1e-5)
    assert shared_grad.abs().sum() > 0


def test_environment_tokens_carry_no_loss(
    tiny_checkpoint: Path, tmp_path: Path, scripted_policy: Any
) -> None:
    recipe = parse_recipe(
        _recipe(tiny_checkpoint, tmp_path / "mask", max_completion_length=4096, max_turn_tokens=512),
        GRPORecipe,
    )
    trainer = build_grpo_trainer(recipe, log=lambda _: None)
    tokenizer = trainer.processing_class
    rows = [row for row in trainer.train_dataset for _ in range(recipe.num_generations)][: recipe.batch_size]
    rollout = trainer.rollout_func
    rollout.scripted = scripted_policy(tokenizer, decode_rows(rows), rollout.settings)
    trainer.model.train()
    batch = trainer._generate_and_score_completions(rows)
    loss_mask = batch["completion_mask"] * batch["tool_mask"]
    environment_tokens = 0
    for ids, mask, tool_mask in zip(batch["completion_ids"], loss_mask, batch["tool_mask"], strict=True):
        trained = tokenizer.decode(ids[mask.bool()])
        assert "<tool_response>" not in trained and "<tool_check_result>" not in trained
        assert "<|im_start|>user" not in trained
        outside = tokenizer.decode(ids[(tool_mask == 0)])
        environment_tokens += int((tool_mask == 0).sum())
        assert outside.count("<|im_start|>user") == outside.count("<|im_start|>assistant")
    assert environment_tokens > 0, "the scripted policy should have received tool outputs"
    outcomes = [row["outcomes"] for row in rows]
    assert all(outcome.n_calls >= 1 for outcome in outcomes)


def test_a_greedy_roll_in_decodes_as_the_evaluation_does(tiny_checkpoint: Path, tmp_path: Path) -> None:
    fields = {"policy_roll_in": 2, "roll_in_decoding": "greedy", "rollout_turns": 1}
    trainer = build_grpo_trainer(
        parse_recipe(_recipe(tiny_checkpoint, tmp_path / "greedy", **fields), GRPORecipe), log=lambda _: None
    )
    rollout = trainer.rollout_func
    assert rollout.greedy_roll_in
    context = trainer.processing_class("Check the calendar for Monday.")["input_ids"]
    expected = trainer.model.generate(torch.tensor([context]), do_sample=False, max_new_tokens=8)
    greedy, _ = rollout._generator(trainer, greedy=True)([context, context], 8)
    assert greedy == [expected[0, len(context) :].tolist()] * 2
    torch.manual_seed(0)
    sampled, _ = rollout._generator(trainer)([context, context], 8)
    assert sampled[0] != sampled[1]  # the group's own turns are still sampled


@pytest.mark.slow
@pytest.mark.integration
def test_killed_run_resumes_from_its_last_checkpoint(tiny_checkpoint: Path, tmp_path: Path) -> None:
    run = tmp_path / "resume"
    config = tmp_path / "grpo.yaml"
    config.write_text(yaml.safe_dump(_recipe(tiny_checkpoint, run, max_steps=6, save_total_limit=None)))
    command = [
        sys.executable,
        "-c",
        "from toolsafe.cli import app; app()",
        "train",
        "grpo",
        "--config",
        str(config),
    ]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    first = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120
    while not (run / "checkpoint-1" / "trainer_state.json").is_file():
        assert first.poll() is None, first.stdout.read().decode() if first.stdout else ""
        assert time.monotonic() < deadline, "no checkpoint within 120 s"
        time.sleep(0.02)
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=30)
    assert not (run / "final").exists()
    killed_at = max(
        int(p.name.split("-")[1]) for p in run.glob("checkpoint-*") if (p / "trainer_state.json").is_file()
    )
    assert killed_at < 6

    second = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert second.returncode == 0, second.stdout + second.stderr
    assert f"resuming from {run / f'checkpoint-{killed_at}'}" in second.stdout
    assert (run / "final" / "config.json").is_file()
    steps = [entry["step"] for entry in _state(run)["log_history"] if "reward" in entry]
    assert steps == [1, 2, 3, 4, 5, 6]
    assert _rollouts_per_step(run) == {step: 4 for step in steps}  # none lost, none twice


def test_contrast_advantages_take_the_baseline_from_the_other_rollouts() -> None:
    import torch

    from toolsafe.train.grpo import contrast_advantages

    contrast = (False, True, False, False)  # oracle, contrast, two samples
    rewards = torch.tensor([1.0, 0.0, 1.0, 1.0, 1.0, 0.0, 1.0, 0.0, 1.0, 1.0, 1.0, 1.0])
    advantages = contrast_advantages(rewards, contrast, scale=True).view(3, 4)
    # every other rollout wins: only the contrast's mistake is pushed down, nothing else moves
    assert advantages[0].tolist() == [0.0, -1.0, 0.0, 0.0]
    # the others differ: they are scaled among themselves and the contrast sits below their mean
    others = torch.tensor([1.0, 1.0, 0.0])
    expected = (others - others.mean()) / (others.std() + 1e-4)
    assert torch.allclose(advantages[1, [0, 2, 3]], expected)
    assert advantages[1, 1] < 0 and torch.isclose(
        advantages[1, [0, 2, 3]].sum(), torch.tensor(0.0), atol=1e-5
    )
    # a contrast that wins is not pushed up
    assert advantages[2].tolist() == [0.0, 0.0, 0.0, 0.0]
    unscaled = contrast_advantages(rewards, contrast, scale=False).view(3, 4)
    assert torch.allclose(unscaled[1], torch.tensor([1 / 3, -2 / 3, 1 / 3, -2 / 3]))
