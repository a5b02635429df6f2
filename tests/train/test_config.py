"""Recipe files: the shipped recipes validate; a bad recipe is one line naming the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from toolsafe.train.config import GRPORecipe, RecipeError, SFTRecipe, load_recipe, merge_overrides

CONFIGS = Path(__file__).resolve().parents[2] / "configs"


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("cpu-smollm2-sft.yaml", SFTRecipe),
        ("cpu-smollm2-grpo.yaml", GRPORecipe),
        ("qwen2.5-7b-grpo-full.yaml", GRPORecipe),
        ("qwen2.5-7b-grpo-lora.yaml", GRPORecipe),
    ],
)
def test_shipped_recipes_validate(name: str, kind: type[SFTRecipe] | type[GRPORecipe]) -> None:
    recipe = load_recipe(CONFIGS / name, kind)
    assert recipe.output_dir.name
    assert recipe.precision != "bf16" or recipe.device != "cpu"


def test_gpu_recipes_use_vllm_and_lora_where_named() -> None:
    full = load_recipe(CONFIGS / "qwen2.5-7b-grpo-full.yaml", GRPORecipe)
    lora = load_recipe(CONFIGS / "qwen2.5-7b-grpo-lora.yaml", GRPORecipe)
    assert full.vllm.enabled and full.vllm.mode == "colocate" and full.lora is None
    assert lora.vllm.enabled and lora.lora is not None


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "recipe.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("output_dir: out\nlearning_rate: -1\n", "learning_rate"),
        ("output_dir: out\nbatch_size: 6\nnum_generations: 4\n", "batch_size"),
        ("output_dir: out\nprecision: bf16\n", "precision"),
        ("output_dir: out\nlearnig_rate: 0.1\n", "learnig_rate"),
        ("learning_rate: 0.1\n", "output_dir"),
        ("output_dir: out\ndata: {split: dev}\n", "data.split"),
        ("output_dir: out\nvllm: {enabled: true}\n", "vllm.enabled"),
        ("output_dir: out\nreward_weights: absent.yaml\n", "reward_weights: absent.yaml does not exist"),
        ("output_dir: out\nreward: policy\nreward_weights: w.yaml\n", "reward_weights: weighs the shaped"),
        ("output_dir: out\nguided_rollouts: 4\nnum_generations: 4\n", "contrast_rollouts: 4 of 4"),
        (
            "output_dir: out\nguided_rollouts: 1\ncontrast_rollouts: 1\nnum_generations: 2\nbatch_size: 2\n",
            "contrast_rollouts: 2 of 2",
        ),
        (
            "output_dir: out\ndevice: auto\ncontrast_rollouts: 1\nvllm: {enabled: true}\n",
            "scripted turns have no vLLM",
        ),
        (
            "output_dir: out\ndevice: auto\npolicy_roll_in: 2\nvllm: {enabled: true}\n",
            "policy_roll_in: not with vLLM",
        ),
        (
            "output_dir: out\nroll_in_decoding: greedy\n",
            "roll_in_decoding: greedy shapes the policy's roll-in",
        ),
        ("output_dir: out\nroll_in_to: departure\n", "roll_in_to: departure shapes"),
        ("output_dir: out\noracle_prefix: everywhere\n", "oracle_prefix"),
        ("kind: sft\noutput_dir: out\n", "kind"),
        ("- a list\n", "mapping"),
        ("output_dir: [unclosed\n", "not valid YAML"),
    ],
)
def test_bad_recipe_is_one_line_naming_the_field(tmp_path: Path, text: str, fragment: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(RecipeError) as caught:
        load_recipe(path, GRPORecipe)
    message = str(caught.value)
    assert "\n" not in message
    assert fragment in message
    assert str(path) in message


def test_recipe_reads_its_shaped_reward_weights(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from toolsafe.rewards import load_weights

    monkeypatch.chdir(tmp_path)
    shipped = load_weights().model_dump()
    Path("w.yaml").write_text(
        "\n".join(f"{k}: {0.5 if k == 'decision_kind' else v}" for k, v in shipped.items()), encoding="utf-8"
    )
    recipe = load_recipe(_write(tmp_path, "output_dir: out\nreward_weights: w.yaml\n"), GRPORecipe)
    weights = recipe.shaped_weights()
    assert weights is not None and weights.decision_kind == 0.5
    Path("w.yaml").write_text("format: 0.1\n", encoding="utf-8")
    with pytest.raises(RecipeError, match=r"reward_weights: .*w.yaml: decision"):
        load_recipe(tmp_path / "recipe.yaml", GRPORecipe)


def test_missing_recipe_file(tmp_path: Path) -> None:
    with pytest.raises(RecipeError, match="no such recipe file"):
        load_recipe(tmp_path / "absent.yaml", SFTRecipe)


def test_overrides_merge_nested_sections(tmp_path: Path) -> None:
    path = _write(tmp_path, "output_dir: out\ndata: {n: 10, seed: 3}\n")
    recipe = load_recipe(path, GRPORecipe, {"data": {"n": 2}, "max_steps": 5})
    assert (recipe.data.n, recipe.data.seed, recipe.max_steps) == (2, 3, 5)
    assert merge_overrides({"a": {"b": 1}}, {"a": 2}) == {"a": 2}


def test_gpu_recipe_maps_to_vllm_trainer_arguments() -> None:
    from toolsafe.train.grpo import grpo_arguments

    recipe = load_recipe(CONFIGS / "qwen2.5-7b-grpo-lora.yaml", GRPORecipe)
    args = grpo_arguments(recipe)
    assert args["use_vllm"] is True and args["vllm_mode"] == "colocate"
    assert args["generation_kwargs"] == {"max_tokens": recipe.max_turn_tokens}
    assert args["use_cpu"] is False and args["bf16"] is True
    cpu = grpo_arguments(load_recipe(CONFIGS / "cpu-smollm2-grpo.yaml", GRPORecipe))
    assert cpu["use_vllm"] is False and cpu["use_cpu"] is True and "generation_kwargs" not in cpu


@pytest.mark.parametrize(("schedule", "total"), [("linear", 3.5), ("constant", 6.0)])
def test_the_schedule_sets_the_total_update_of_a_short_run(schedule: str, total: float) -> None:
    import torch
    from transformers import get_scheduler

    from toolsafe.train.grpo import grpo_arguments

    args = grpo_arguments(
        load_recipe(CONFIGS / "cpu-smollm2-grpo.yaml", GRPORecipe, {"lr_scheduler": schedule})
    )
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=args["learning_rate"])
    scheduler = get_scheduler(args["lr_scheduler_type"], optimizer, num_warmup_steps=0, num_training_steps=6)
    rates = []
    for _ in range(6):
        rates.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    assert sum(rates) / args["learning_rate"] == pytest.approx(total)


@pytest.mark.parametrize(
    "name", ["qwen2.5-7b-grpo-full.yaml", "qwen2.5-7b-grpo-lora.yaml", "cpu-smollm2-grpo.yaml"]
)
def test_every_trainer_argument_is_a_grpo_config_field(name: str) -> None:
    import dataclasses

    from trl import GRPOConfig

    from toolsafe.train.grpo import grpo_arguments

    overrides = {"vllm": {"server_base_url": "http://127.0.0.1:8000", "max_model_length": 4096}}
    args = grpo_arguments(load_recipe(CONFIGS / name, GRPORecipe, overrides if "qwen" in name else None))
    assert set(args) <= {f.name for f in dataclasses.fields(GRPOConfig)}


def test_every_sft_argument_is_an_sft_config_field() -> None:
    import dataclasses

    from trl import SFTConfig

    from toolsafe.train.sft import sft_arguments

    args = sft_arguments(load_recipe(CONFIGS / "cpu-smollm2-sft.yaml", SFTRecipe))
    assert set(args) <= {f.name for f in dataclasses.fields(SFTConfig)}


def test_scenarios_come_from_a_file_when_the_recipe_names_one(tmp_path: Path) -> None:
    from toolsafe.sandbox.generate import generate, write_jsonl
    from toolsafe.train.config import ScenarioData
    from toolsafe.train.data import load_scenarios

    path = tmp_path / "train.jsonl"
    written = generate("train", 9, seed=4)
    write_jsonl(written, path)
    assert load_scenarios(ScenarioData(file=path, n=5)) == written[:5]

    with pytest.raises(RecipeError, match=r"data.file: .*does not exist"):
        load_scenarios(ScenarioData(file=tmp_path / "missing.jsonl"))
    path.write_text(path.read_text() + "{not json\n")
    with pytest.raises(RecipeError, match=r"data.file: .*train.jsonl:10: not a scenario"):
        load_scenarios(ScenarioData(file=path, n=20))


@pytest.mark.parametrize(
    ("native", "precision", "sampling"), [(True, "bf16-mixed", "bf16"), (False, "fp32", "fp32")]
)
def test_auto_precision_uses_bf16_only_where_the_cpu_has_it(
    monkeypatch: pytest.MonkeyPatch, native: bool, precision: str, sampling: str
) -> None:
    import toolsafe.models.hf
    from toolsafe.train.grpo import generation_autocast, grpo_arguments

    monkeypatch.setattr(toolsafe.models.hf, "cpu_has_native_bf16", lambda: native)
    recipe = load_recipe(CONFIGS / "cpu-smollm2-grpo.yaml", GRPORecipe)
    assert (recipe.precision, recipe.generation_precision) == ("auto", "auto")
    assert grpo_arguments(recipe)["bf16"] is (precision == "bf16-mixed")
    assert generation_autocast(recipe) == sampling
    explicit = load_recipe(CONFIGS / "cpu-smollm2-grpo.yaml", GRPORecipe, {"generation_precision": "bf16"})
    assert generation_autocast(explicit) == "bf16"
