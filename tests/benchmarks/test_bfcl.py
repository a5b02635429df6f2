"""BFCL adapter: real bfcl-eval data and checker, driven by in-test models that answer by case id."""

from __future__ import annotations

import copy
import json
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from toolsafe.benchmarks.base import BenchCase, BenchDataError, BenchResult
from toolsafe.benchmarks.bfcl import (
    BFCL,
    CATEGORIES,
    LEFT_OUT,
    MULTI_TURN,
    SINGLE_TURN,
    reference_multi_turn,
    reference_turn,
    to_openai_tools,
)
from toolsafe.benchmarks.bfcl import checker as bfcl_checker
from toolsafe.benchmarks.bfcl.data import IRRELEVANCE, RELEVANCE, with_language_hint
from toolsafe.benchmarks.bfcl.multi_turn import (
    ADDED_FUNCTIONS_PROMPT,
    MAX_STEPS,
    backend_methods,
    call_strings,
)
from toolsafe.benchmarks.bfcl.reference import answer_defects, reference_calls
from toolsafe.benchmarks.bfcl.scoring import CategoryScore, aggregates
from toolsafe.models.base import ChatRequest, ChatResponse, WireFormat
from toolsafe.protocol import (
    AgentTurn,
    ToolCall,
    parse_openai_message,
    parse_tagged,
    render_tagged,
    to_openai_message,
)

AST_CATEGORIES = [name for name in SINGLE_TURN if name not in IRRELEVANCE + RELEVANCE]


@dataclass
class AnswerKeyModel:
    """A chat model that answers each request with the turn stored under its case id."""

    answer: Callable[[ChatRequest], AgentTurn]
    wire_format: WireFormat = "native"
    name: str = "answer-key"
    errors: set[str] = field(default_factory=set)

    def generate(self, requests: Sequence[ChatRequest]) -> list[ChatResponse]:
        responses: list[ChatResponse] = []
        for request in requests:
            if request.case_id in self.errors:
                responses.append(ChatResponse(parse_tagged(""), error="server error 500"))
                continue
            turn = self.answer(request)
            if self.wire_format == "native":
                message = to_openai_message(turn)
                responses.append(ChatResponse(parse_openai_message(message), json.dumps(message), message))
            else:
                raw = render_tagged(turn)
                responses.append(ChatResponse(parse_tagged(raw), raw))
        return responses


def keyed(turns: dict[str, AgentTurn]) -> Callable[[ChatRequest], AgentTurn]:
    return lambda request: turns[request.case_id]


@pytest.fixture(scope="module")
def all_cases() -> list[BenchCase]:
    return BFCL(categories=SINGLE_TURN).load()


@pytest.fixture(scope="module")
def bfcl_internals(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """bfcl-eval's own helper modules (they create result folders under BFCL_PROJECT_ROOT on import)."""
    bfcl_checker.ensure_installed()
    previous = os.environ.get("BFCL_PROJECT_ROOT")
    os.environ["BFCL_PROJECT_ROOT"] = str(tmp_path_factory.mktemp("bfcl_root"))
    try:
        import bfcl_eval.utils as utils

        yield utils
    finally:
        if previous is None:
            os.environ.pop("BFCL_PROJECT_ROOT", None)
        else:
            os.environ["BFCL_PROJECT_ROOT"] = previous


def run_and_score(
    cases: Sequence[BenchCase], model: AnswerKeyModel
) -> tuple[list[BenchResult], dict[str, Any]]:
    bench = BFCL()
    results = list(bench.run(model, cases, batch_size=64))
    return results, bench.score(results)


def defective(case: BenchCase) -> bool:
    meta = case.meta
    return "ground_truth" in meta and bool(
        answer_defects(meta["functions"], meta["ground_truth"], meta["category"])
    )


# --------------------------------------------------------------------------- loading


def test_load_gives_stable_ids_balanced_over_categories_with_limit() -> None:
    cases = BFCL(categories=["simple_python", "live_simple", "irrelevance"]).load(limit=6)
    assert [case.id for case in cases] == [
        "bfcl/simple_python_0",
        "bfcl/simple_python_256",
        "bfcl/live_simple_0-0-0",
        "bfcl/live_simple_256-137-0",
        "bfcl/irrelevance_0",
        "bfcl/irrelevance_128",
    ]
    first = cases[0]
    assert first.messages[0]["role"] == "user" and "triangle" in first.messages[0]["content"]
    assert first.meta["ground_truth"][0]["calculate_triangle_area"]["base"] == [10]
    assert "ground_truth" not in cases[-1].meta


def test_every_supported_category_loads_with_answers(all_cases: list[BenchCase]) -> None:
    seen = {case.meta["category"] for case in all_cases}
    assert seen == set(SINGLE_TURN) and set(CATEGORIES) == set(SINGLE_TURN + MULTI_TURN)
    assert len({case.id for case in all_cases}) == len(all_cases)
    graded = [case for case in all_cases if case.meta["category"] in AST_CATEGORIES]
    assert all(case.meta["ground_truth"] for case in graded)


def test_category_filter_rejects_unknown_and_left_out_categories() -> None:
    with pytest.raises(ValueError, match="unknown BFCL category 'simple'"):
        BFCL(categories=["simple"])
    with pytest.raises(ValueError, match="SerpAPI"):
        BFCL(categories=["web_search_base"])
    with pytest.raises(ValueError, match="FAISS"):
        BFCL(categories=["memory_vector"])
    assert not set(LEFT_OUT) & set(CATEGORIES)


def test_missing_data_file_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(BenchDataError, match=r"BFCL_v4_multiple\.json"):
        BFCL(categories=["multiple"]).load(data=tmp_path)


def test_corrupt_data_line_names_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "BFCL_v4_irrelevance.json").write_text('{"id": "irrelevance_0"}\nnot json\n')
    with pytest.raises(
        BenchDataError, match=r"BFCL_v4_irrelevance.json:1: needs a 'function'|:2: not a JSON line"
    ):
        BFCL(categories=["irrelevance"]).load(data=tmp_path)


def test_missing_install_names_the_pip_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "bfcl_eval", None)
    monkeypatch.setitem(sys.modules, "bfcl_eval.constants.enums", None)
    bfcl_checker._bfcl.cache_clear()
    try:
        with pytest.raises(
            bfcl_checker.BFCLNotInstalledError, match=r"pip install --no-deps bfcl-eval==2026\.3\.23"
        ):
            bfcl_checker.ensure_installed()
    finally:
        bfcl_checker._bfcl.cache_clear()


# --------------------------------------------------------------------------- schemas


def test_tools_follow_bfcl_fc_conversion() -> None:
    functions = [
        {
            "name": "geo.distance",
            "description": "Distance.",
            "parameters": {
                "type": "dict",
                "properties": {
                    "points": {"type": "tuple", "items": {"type": "float"}, "description": "Points."},
                    "scale": {"type": "float", "description": "Scale."},
                    "options": {
                        "type": "dict",
                        "properties": {"unit": {"type": "string", "description": "U."}},
                    },
                    "rows": {
                        "type": "array",
                        "items": {"type": "dict", "properties": {"n": {"type": "integer"}}},
                    },
                    "anything": {"type": "any", "description": "Any."},
                },
                "required": ["points"],
            },
        }
    ]
    original = copy.deepcopy(functions)
    [tool] = to_openai_tools(functions, "simple_python")
    function = tool["function"]
    assert tool["type"] == "function" and function["name"] == "geo_distance"
    assert function["description"].endswith("Note that the provided function is in Python 3 syntax.")
    props = function["parameters"]["properties"]
    assert function["parameters"]["type"] == "object"
    assert props["points"] == {"type": "array", "items": {"type": "number"}, "description": "Points."}
    assert props["scale"]["type"] == "number" and props["scale"]["format"] == "float"
    assert props["scale"]["description"] == "Scale. This is a float type value."
    assert props["options"]["type"] == "object" and props["options"]["properties"]["unit"]["type"] == "string"
    assert props["rows"]["items"]["type"] == "object"
    assert props["rows"]["items"]["properties"]["n"]["type"] == "integer"
    assert props["anything"]["type"] == "string"
    assert functions == original


@pytest.mark.parametrize("category", ["simple_java", "simple_javascript", "live_multiple", "parallel"])
def test_language_hint_matches_bfcl(bfcl_internals: Any, all_cases: list[BenchCase], category: str) -> None:
    entries = [case.meta["functions"] for case in all_cases if case.meta["category"] == category]
    for functions in entries:
        expected = bfcl_internals._func_doc_language_specific_pre_processing(
            copy.deepcopy(functions), category
        )
        assert with_language_hint(functions, category) == expected


def test_java_parameters_are_strings_for_the_model(all_cases: list[BenchCase]) -> None:
    java = [case for case in all_cases if case.meta["category"] == "simple_java"]
    types = {
        p["type"]
        for case in java
        for tool in case.tools
        for p in tool["function"]["parameters"]["properties"].values()
    }
    assert types == {"string"}


# --------------------------------------------------------------------------- checker rules


@pytest.mark.parametrize(
    "decoded",
    [[], [{}], "text", [{"f": {}}], [{"f": {"a": 1}}, {"g": {}}], [{"f": 1}], [{"f": {}, "g": {}}], [["f"]]],
)
def test_empty_output_rule_matches_bfcl(bfcl_internals: Any, decoded: Any) -> None:
    assert bfcl_checker.is_empty_output(decoded) == bfcl_internals.is_empty_output(decoded)


def test_checker_crash_is_a_failed_check() -> None:
    functions = [
        {
            "name": "f",
            "parameters": {"type": "dict", "properties": {"x": {"type": "strange"}}, "required": []},
        }
    ]
    verdict = bfcl_checker.check_ast(functions, [{"f": {"x": 1}}], [{"f": {"x": [1]}}], "simple_python")
    assert not verdict.valid and verdict.error_type == "checker_error"


# --------------------------------------------------------------------------- ground truth and wrong answers


def test_ground_truth_passes_every_sound_entry(all_cases: list[BenchCase]) -> None:
    model = AnswerKeyModel(keyed({case.id: reference_turn(case) for case in all_cases}))
    results, score = run_and_score(all_cases, model)
    by_id = {case.id: case for case in all_cases}
    failed = {result.case_id for result in results if result.label != "pass"}
    assert failed == {case.id for case in all_cases if defective(case)}
    assert len(failed) < 0.005 * len(all_cases)
    for name in SINGLE_TURN:
        entry = score["categories"][name]
        sound = sum(1 for case in all_cases if case.meta["category"] == name and not defective(case))
        assert entry["correct"] == sound and entry["total"] == sum(
            1 for c in by_id.values() if c.meta["category"] == name
        )
    for name in ("simple_python", "simple_javascript", "multiple", "parallel", "parallel_multiple"):
        assert score["categories"][name]["accuracy"] == 1.0
    assert score["Irrelevance Detection"] == 1.0 and score["Relevance Detection"] == 1.0
    assert score["Live Parallel AST"] == 1.0 and score["Live Parallel Multiple AST"] == 1.0


def test_ground_truth_passes_over_the_tagged_wire_format() -> None:
    cases = [
        case for case in BFCL(categories=SINGLE_TURN).load(limit=15 * len(SINGLE_TURN)) if not defective(case)
    ]
    model = AnswerKeyModel(keyed({case.id: reference_turn(case) for case in cases}), wire_format="tagged")
    results, score = run_and_score(cases, model)
    assert all(result.label == "pass" for result in results), [r.meta for r in results if r.label != "pass"][
        :3
    ]
    assert all(entry["accuracy"] == 1.0 for entry in score["categories"].values())


def _wrong_value(value: Any) -> Any:
    if isinstance(value, bool):
        return not value
    if isinstance(value, int | float):
        return value + 7919.5
    if isinstance(value, str):
        return value + "zqxwrong"
    if isinstance(value, list):
        return [*value, "zqxwrong"]
    if isinstance(value, dict):
        return {**value, "zqxwrong": 1}
    return "zqxwrong"


def _with_wrong_value(case: BenchCase) -> AgentTurn:
    """The reference answer with one value of the first call changed (before language rendering)."""
    ground_truth = copy.deepcopy(case.meta["ground_truth"])
    name, params = next(iter(ground_truth[0].items()))
    doc = next(doc for doc in case.meta["functions"] if doc["name"] == name)
    required = set(doc["parameters"].get("required", []))
    kept = [param for param, options in params.items() if param in required or "" not in options]
    if kept:
        options = params[kept[0]]
        params[kept[0]] = [_wrong_value(next((o for o in options if o != ""), ""))]
    else:
        params["zqxwrong"] = [1]
    calls = reference_calls(case.meta["functions"], ground_truth, case.meta["category"])
    return AgentTurn(tool_calls=tuple(calls))


def _with_wrong_name(case: BenchCase) -> AgentTurn:
    first, *rest = reference_turn(case).tool_calls
    return AgentTurn(tool_calls=(ToolCall(first.name + "_v2", first.arguments), *rest))


@pytest.mark.parametrize("corrupt", [_with_wrong_name, _with_wrong_value], ids=["wrong_name", "wrong_value"])
def test_wrong_answers_score_zero(
    all_cases: list[BenchCase], corrupt: Callable[[BenchCase], AgentTurn]
) -> None:
    graded = [case for case in all_cases if case.meta["category"] in AST_CATEGORIES]
    model = AnswerKeyModel(keyed({case.id: corrupt(case) for case in graded}))
    results, score = run_and_score(graded, model)
    assert [r.case_id for r in results if r.label == "pass"] == []
    assert all(score["categories"][name]["accuracy"] == 0.0 for name in AST_CATEGORIES)
    assert score["Non-Live AST Acc"] == 0.0 and score["Live Acc"] == 0.0


def _no_call(request: ChatRequest) -> AgentTurn:
    return AgentTurn(text="I cannot help with that using these functions.")


def _always_call(request: ChatRequest) -> AgentTurn:
    name = request.tools[0]["function"]["name"] if request.tools else "web_lookup"
    return AgentTurn(tool_calls=(ToolCall(name, {}),))


def test_irrelevance_and_relevance_mirror_each_other(all_cases: list[BenchCase]) -> None:
    cases = [case for case in all_cases if case.meta["category"] in IRRELEVANCE + RELEVANCE]
    _, abstains = run_and_score(cases, AnswerKeyModel(_no_call))
    _, calls = run_and_score(cases, AnswerKeyModel(_always_call, wire_format="tagged"))
    assert abstains["Irrelevance Detection"] == 1.0 and abstains["Relevance Detection"] == 0.0
    assert calls["Irrelevance Detection"] == 0.0 and calls["Relevance Detection"] == 1.0


def test_errors_count_as_failures_and_are_reported() -> None:
    cases = BFCL(categories=["irrelevance"]).load(limit=4)
    model = AnswerKeyModel(_no_call, errors={cases[0].id})
    results, score = run_and_score(cases, model)
    assert results[0].label == "error" and results[0].error == "server error 500"
    assert score["categories"]["irrelevance"] == {"accuracy": 0.75, "correct": 3, "total": 4, "errors": 1}


def test_results_record_decoded_calls_and_transcript() -> None:
    [case] = BFCL(categories=["simple_python"]).load(limit=1)
    [result] = BFCL().run(AnswerKeyModel(keyed({case.id: reference_turn(case)})), [case])
    assert result.bench == "bfcl" and result.label == "pass"
    assert result.meta["decoded"] == [{"calculate_triangle_area": {"base": 10, "height": 5}}]
    assert result.messages[-1]["role"] == "assistant" and result.messages[-1]["tool_calls"]
    json.dumps(result.model_dump())


# --------------------------------------------------------------------------- aggregation


def test_aggregates_match_bfcl_formulas(bfcl_internals: Any) -> None:
    bfcl_checker.ensure_installed()
    import bfcl_eval.eval_checker.eval_runner_helper as helper

    counts = {
        "simple_python": (300, 400),
        "simple_java": (60, 100),
        "simple_javascript": (20, 50),
        "multiple": (150, 200),
        "parallel": (120, 200),
        "parallel_multiple": (90, 200),
        "live_simple": (200, 258),
        "live_multiple": (700, 1053),
        "live_parallel": (8, 16),
        "live_parallel_multiple": (12, 24),
        "irrelevance": (200, 240),
        "live_irrelevance": (600, 884),
        "live_relevance": (10, 16),
    }
    scores = {name: CategoryScore(correct, total) for name, (correct, total) in counts.items()}

    def bfcl_score(name: str) -> dict[str, Any]:
        return {"accuracy": scores[name].accuracy, "total_count": scores[name].total, "display_accuracy": 0}

    simple = helper.calculate_unweighted_accuracy(
        [bfcl_score(n) for n in ("simple_python", "simple_java", "simple_javascript")]
    )
    non_live = helper.calculate_unweighted_accuracy(
        [simple, bfcl_score("multiple"), bfcl_score("parallel"), bfcl_score("parallel_multiple")]
    )
    live = helper.calculate_weighted_accuracy(
        [bfcl_score(n) for n in ("live_simple", "live_multiple", "live_parallel", "live_parallel_multiple")]
    )
    irrelevance = helper.calculate_unweighted_accuracy(
        [bfcl_score("irrelevance"), bfcl_score("live_irrelevance")]
    )
    ours = aggregates(scores)
    assert ours["Non-Live Simple AST"] == pytest.approx(simple["accuracy"])
    assert ours["Non-Live AST Acc"] == pytest.approx(non_live["accuracy"])
    assert ours["Live Acc"] == pytest.approx(live["accuracy"])
    assert ours["Irrelevance Detection"] == pytest.approx(irrelevance["accuracy"])
    assert ours["Relevance Detection"] == pytest.approx(10 / 16)


def test_aggregates_are_missing_when_a_category_was_not_run() -> None:
    ours = aggregates({"simple_python": CategoryScore(3, 4), "live_simple": CategoryScore(1, 2)})
    assert ours["Non-Live Simple AST"] == 0.75 and ours["Python Simple AST"] == 0.75
    assert ours["Java Simple AST"] is None
    assert (
        ours["Non-Live AST Acc"] is None
        and ours["Live Acc"] is None
        and ours["Irrelevance Detection"] is None
    )


def test_aggregates_multi_turn_like_bfcl(bfcl_internals: Any) -> None:
    import bfcl_eval.eval_checker.eval_runner_helper as helper

    scores = {name: CategoryScore(20 + 30 * i, 200) for i, name in enumerate(MULTI_TURN)}
    expected = helper.calculate_unweighted_accuracy(
        [{"accuracy": s.accuracy, "total_count": s.total, "display_accuracy": 0} for s in scores.values()]
    )
    ours = aggregates(scores)
    assert ours["Multi Turn Acc"] == pytest.approx(expected["accuracy"])
    assert ours["Multi Turn Miss Param"] == scores["multi_turn_miss_param"].accuracy


# --------------------------------------------------------------------------- multi-turn


@pytest.fixture(scope="module")
def multi_turn_cases() -> list[BenchCase]:
    return BFCL(categories=MULTI_TURN).load()


def stepwise(
    plan: Callable[[BenchCase, int, int], AgentTurn], cases: Sequence[BenchCase]
) -> Callable[[ChatRequest], AgentTurn]:
    """Answer multi-turn requests (``<case id>#<turn>.<step>``) from a per-case plan."""
    by_id = {case.id: case for case in cases}
    return lambda request: plan(
        by_id[request.case_id.split("#")[0]], request.context["turn"], request.context["step"]
    )


def reference_plan() -> Callable[[BenchCase, int, int], AgentTurn]:
    """All ground-truth calls of a turn in its first step, then a plain answer."""
    memo: dict[str, list[list[ToolCall]]] = {}

    def plan(case: BenchCase, turn: int, step: int) -> AgentTurn:
        calls = memo.setdefault(case.id, reference_multi_turn(case))[turn] if step == 0 else []
        return AgentTurn(tool_calls=tuple(calls)) if calls else AgentTurn(text="Done.")

    return plan


@pytest.mark.slow
def test_multi_turn_ground_truth_passes_every_case(multi_turn_cases: list[BenchCase]) -> None:
    model = AnswerKeyModel(stepwise(reference_plan(), multi_turn_cases))
    results, score = run_and_score(multi_turn_cases, model)
    assert [r.case_id for r in results if r.label != "pass"] == []
    assert score["Multi Turn Acc"] == 1.0
    assert {name: score["categories"][name]["total"] for name in MULTI_TURN} == {
        name: 200 for name in MULTI_TURN
    }


def test_multi_turn_ground_truth_passes_over_the_tagged_wire_format() -> None:
    cases = BFCL(categories=MULTI_TURN).load(limit=10 * len(MULTI_TURN))
    model = AnswerKeyModel(stepwise(reference_plan(), cases), wire_format="tagged")
    results, _ = run_and_score(cases, model)
    assert all(result.label == "pass" for result in results)


def _silent(case: BenchCase, turn: int, step: int) -> AgentTurn:
    return AgentTurn(text="I would rather not call anything.")


def _misnamed(case: BenchCase, turn: int, step: int) -> AgentTurn:
    calls = reference_multi_turn(case)[turn] if step == 0 else []
    return AgentTurn(tool_calls=tuple(ToolCall(call.name + "_v2", call.arguments) for call in calls))


def _first_text_wrong(case: BenchCase, turn: int, step: int) -> AgentTurn:
    """The reference with its first string argument changed (a flag like ``ls(a=...)`` may not matter)."""
    answers = reference_multi_turn(case)
    calls = list(answers[turn]) if step == 0 else []
    target_turn, index = next(
        (t, i)
        for t, turn_calls in enumerate(answers)
        for i, call in enumerate(turn_calls)
        if any(isinstance(value, str) for value in call.arguments.values())
    )
    if (turn, step) == (target_turn, 0):
        call = calls[index]
        name = next(key for key, value in call.arguments.items() if isinstance(value, str))
        calls[index] = ToolCall(call.name, {**call.arguments, name: _wrong_value(call.arguments[name])})
    return AgentTurn(tool_calls=tuple(calls)) if calls else AgentTurn(text="Done.")


@pytest.mark.parametrize(
    "plan", [_silent, _misnamed, _first_text_wrong], ids=["silent", "misnamed", "wrong_value"]
)
def test_multi_turn_wrong_answers_fail(plan: Callable[[BenchCase, int, int], AgentTurn]) -> None:
    cases = BFCL(categories=MULTI_TURN).load(limit=20 * len(MULTI_TURN))
    results, score = run_and_score(cases, AnswerKeyModel(stepwise(plan, cases)))
    assert [r.case_id for r in results if r.label == "pass"] == []
    assert score["Multi Turn Acc"] == 0.0


def test_miss_func_announces_withheld_functions_on_their_turn() -> None:
    [case] = BFCL(categories=["multi_turn_miss_func"]).load(limit=1)
    seen: list[ChatRequest] = []

    def record(request: ChatRequest) -> AgentTurn:
        seen.append(request)
        return reference_plan()(case, request.context["turn"], request.context["step"])

    [result] = BFCL().run(AnswerKeyModel(record), [case])
    withheld_turn = int(next(iter(case.meta["missed_function"])))
    before = {t["function"]["name"] for r in seen if r.context["turn"] < withheld_turn for t in r.tools}
    after = {t["function"]["name"] for r in seen if r.context["turn"] == withheld_turn for t in r.tools}
    assert after - before == set(case.meta["missed_function"][str(withheld_turn)])
    first_of_turn = next(r for r in seen if r.context["turn"] == withheld_turn)
    assert first_of_turn.messages[-1] == {"role": "user", "content": ADDED_FUNCTIONS_PROMPT}
    assert result.label == "pass"


def test_endless_calls_are_force_terminated() -> None:
    [case] = BFCL(categories=["multi_turn_base"]).load(limit=1)
    name = case.tools[0]["function"]["name"]
    model = AnswerKeyModel(lambda request: AgentTurn(tool_calls=(ToolCall(name, {}),)))
    [result] = BFCL().run(model, [case])
    assert result.label == "fail" and result.meta["error_type"] == "multi_turn:force_terminated"
    assert len(result.outputs) == MAX_STEPS + 1


def test_model_output_never_becomes_code_and_backends_are_released() -> None:
    hostile = AgentTurn(
        tool_calls=(
            ToolCall("__import__('os').system('touch /tmp/x')#", {}),
            ToolCall("open", {"file": "/tmp/toolsafe-bfcl-probe", "mode": "w"}),
            ToolCall("ls", {"a=__import__('os').getcwd(),b": True}),
            ToolCall("cd", {"folder": "'); import os; ('"}),
        )
    )
    methods = backend_methods(("GorillaFileSystem",))
    assert call_strings(parse_openai_message(to_openai_message(hostile)), methods) == [
        "invalid_function_name()",
        "invalid_function_name()",
        "invalid_function_name()",
        """cd(folder="'); import os; ('")""",
    ]
    cases = BFCL(categories=["multi_turn_base"]).load(limit=2)
    list(BFCL().run(AnswerKeyModel(stepwise(reference_plan(), cases)), cases))
    import bfcl_eval.eval_checker.multi_turn_eval.multi_turn_utils as utils

    assert [name for name in vars(utils) if name.startswith("toolsafe")] == []


def test_a_model_calling_builtins_cannot_touch_the_host(tmp_path: Path) -> None:
    [case] = BFCL(categories=["multi_turn_base"]).load(limit=1)
    probe = tmp_path / "probe.txt"
    calls = (ToolCall("open", {"file": str(probe), "mode": "w"}), ToolCall("exec", {"source": "1"}))

    def plan(case: BenchCase, turn: int, step: int) -> AgentTurn:
        return AgentTurn(tool_calls=calls) if step == 0 else AgentTurn(text="Done.")

    [result] = BFCL().run(AnswerKeyModel(stepwise(plan, [case])), [case])
    assert not probe.exists()
    tool_outputs = [m["content"] for m in result.messages if m["role"] == "tool"]
    assert tool_outputs and all("invalid_function_name" in text for text in tool_outputs)
