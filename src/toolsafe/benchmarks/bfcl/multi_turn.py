"""BFCL multi-turn categories: the FC inference loop over ``bfcl_eval``'s executable backends, and its checker.

Each user turn, the model may call functions repeatedly; calls run against BFCL's deterministic
Python backends (file system, messaging, trading …) and their results come back as tool messages.
A step without a call ends the turn; more than :data:`MAX_STEPS` steps with calls in one turn
force-quits the case (as in BFCL, a failure unless it happens in the last turn, which is checked). ``multi_turn_miss_func`` withholds functions until a
later, message-less turn, when BFCL's fixed user prompt announces them.

Scoring is ``bfcl_eval``'s ``multi_turn_checker``: after every turn with ground truth, the backend
state after the model's calls must equal the state after the ground-truth calls, and the
ground-truth execution results must all appear among the model's results so far.

BFCL executes calls by ``eval`` of ``name(param=repr(value), …)`` strings. Only names of the
backends' public methods and identifier parameter names get through (anything else is replaced by
a call that fails as an unknown function would), so model output never becomes code; values are
``repr`` of parsed data.
"""

from __future__ import annotations

import ast
import itertools
import json
import re
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from toolsafe.benchmarks.base import BenchCase, BenchDataError, BenchResult
from toolsafe.benchmarks.bfcl import checker
from toolsafe.benchmarks.bfcl.data import BENCH, case_id, data_root, to_openai_tools, with_language_hint
from toolsafe.models.base import ChatModel, ChatRequest, ChatResponse
from toolsafe.protocol import AgentTurn, ParsedTurn, ToolCall, to_openai_message

MAX_STEPS = 20
"""BFCL's ``MAXIMUM_STEP_LIMIT``: a turn may take this many steps with calls, one more force-quits."""

ADDED_FUNCTIONS_PROMPT = "I have updated some more functions you can choose from. What about now?"
"""BFCL's ``DEFAULT_USER_PROMPT_FOR_ADDITIONAL_FUNCTION_FC``, sent on the turn withheld functions arrive."""

FUNC_DOC_FILES = {
    "GorillaFileSystem": "gorilla_file_system.json",
    "MathAPI": "math_api.json",
    "MessageAPI": "message_api.json",
    "TwitterAPI": "posting_api.json",
    "TicketAPI": "ticket_api.json",
    "TradingBot": "trading_bot.json",
    "TravelAPI": "travel_booking.json",
    "VehicleControlAPI": "vehicle_control.json",
}
"""Backend class → its function-doc file under ``multi_turn_func_doc/`` (BFCL's mapping)."""

_IDENTIFIER = re.compile(r"[A-Za-z_]\w*")
_INVALID_NAME = "invalid_function_name"
_run_counter = itertools.count()


@cache
def class_functions(class_name: str) -> tuple[dict[str, Any], ...]:
    """The function docs of one backend class."""
    if class_name not in FUNC_DOC_FILES:
        raise BenchDataError(f"BFCL multi-turn: unknown backend class {class_name!r}")
    path = data_root() / "multi_turn_func_doc" / FUNC_DOC_FILES[class_name]
    if not path.is_file():
        raise BenchDataError(f"{path}: BFCL function-doc file not found")
    with path.open(encoding="utf-8") as handle:
        return tuple(json.loads(line) for line in handle if line.strip())


def entry_functions(
    involved: Sequence[str], missed: dict[str, list[str]]
) -> tuple[list[dict[str, Any]], dict[str, list[dict[str, Any]]]]:
    """The offered docs (with BFCL's Python hint) and the withheld docs per turn (without, as in BFCL)."""
    docs = [dict(doc) for name in involved for doc in class_functions(name)]
    withheld: dict[str, list[dict[str, Any]]] = {}
    for turn, names in missed.items():
        withheld[turn] = []
        for name in names:
            index = next((i for i, doc in enumerate(docs) if doc["name"] == name), None)
            if index is not None:
                withheld[turn].append(docs.pop(index))
    return with_language_hint(docs, "multi_turn"), withheld


def build_multi_turn_case(entry: dict[str, Any], ground_truth: list[list[str]]) -> BenchCase:
    """A :class:`BenchCase` for a multi-turn entry; every turn and the backend setup live in ``meta``."""
    bfcl_id = str(entry["id"])
    turns = entry.get("question")
    involved = entry.get("involved_classes")
    if not isinstance(turns, list) or not turns or not isinstance(involved, list):
        raise BenchDataError(f"BFCL entry {bfcl_id}: needs 'question' turns and 'involved_classes'")
    if len(ground_truth) != len(turns):
        raise BenchDataError(
            f"BFCL entry {bfcl_id}: {len(turns)} turns but {len(ground_truth)} ground-truth turns"
        )
    missed = {str(k): list(v) for k, v in (entry.get("missed_function") or {}).items()}
    offered, _ = entry_functions(involved, missed)
    return BenchCase(
        id=case_id(bfcl_id),
        messages=[dict(message) for message in turns[0]],
        tools=to_openai_tools(offered, "multi_turn", language_hint=False),
        meta={
            "category": bfcl_id.rsplit("_", 1)[0],
            "bfcl_id": bfcl_id,
            "turns": turns,
            "initial_config": entry.get("initial_config", {}),
            "involved_classes": involved,
            "missed_function": missed,
            "ground_truth": ground_truth,
        },
    )


# --------------------------------------------------------------------------- execution


def call_strings(parsed: ParsedTurn, methods: Collection[str]) -> list[str]:
    """BFCL's ``convert_to_function_call`` on the turn's calls, restricted to the backends' methods.

    A call of anything else (a builtin, a made-up name) or with a non-identifier parameter name
    becomes ``invalid_function_name()``, which fails in execution as an unknown function does.
    """
    out: list[str] = []
    for call in parsed.turn.tool_calls:
        arguments = dict(call.arguments)
        if call.name not in methods or not all(_IDENTIFIER.fullmatch(str(key)) for key in arguments):
            out.append(f"{_INVALID_NAME}()")
            continue
        out.append(f"{call.name}({','.join(f'{key}={value!r}' for key, value in arguments.items())})")
    return out


@cache
def _backend() -> Any:
    checker.ensure_installed()
    import bfcl_eval.eval_checker.multi_turn_eval.multi_turn_utils as utils

    return utils


def _forget_instances(token: str) -> None:
    """BFCL keeps backend instances in its module globals, named ``<token>_<entry id>_…``; drop this token's."""
    namespace = vars(_backend())
    for name in [name for name in namespace if name.startswith(f"{token}_")]:
        del namespace[name]


def _run_token() -> str:
    """A fresh model name for BFCL's instance naming, so runs never share backend state."""
    return f"toolsafe{next(_run_counter)}"


def _execute(calls: list[str], case: BenchCase, token: str) -> list[str]:
    results, _ = _backend().execute_multi_turn_func_call(
        calls,
        case.meta["initial_config"],
        case.meta["involved_classes"],
        token,
        case.meta["bfcl_id"],
        long_context="long_context" in case.meta["category"],
        is_evaL_run=False,
    )
    return [str(result) for result in results]


def check_multi_turn(case: BenchCase, decoded: list[list[list[str]]]) -> checker.Verdict:
    """BFCL's verdict on the per-turn, per-step calls.

    Missing turns (a force-quit before the last turn) fail; everything else goes to
    ``multi_turn_checker``.
    """
    ground_truth = case.meta["ground_truth"]
    if len(decoded) != len(ground_truth):
        return checker.Verdict(False, "multi_turn:force_terminated", ("the model was force-terminated",))
    _backend()
    from bfcl_eval.eval_checker.multi_turn_eval.multi_turn_checker import multi_turn_checker

    token = _run_token()
    entry = {
        "id": case.meta["bfcl_id"],
        "initial_config": case.meta["initial_config"],
        "involved_classes": case.meta["involved_classes"],
    }
    steps = [[step for step in turn if step] for turn in decoded]
    try:
        result = multi_turn_checker(steps, ground_truth, entry, case.meta["category"], token)
    except Exception as error:  # backends assume well-formed calls; anything else is a failed check
        return checker.Verdict(False, "checker_error", (f"{type(error).__name__}: {error}"[:300],))
    finally:
        _forget_instances(token)
    if result.get("valid"):
        return checker.Verdict(True)
    return checker.Verdict(
        False, str(result.get("error_type", "")), (str(result.get("error_message", ""))[:300],)
    )


# --------------------------------------------------------------------------- reference answers


@cache
def backend_methods(classes: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    """Public methods of the backend classes, with their parameter names in order."""
    import importlib
    import inspect

    _backend()
    from bfcl_eval.constants.executable_backend_config import CLASS_FILE_PATH_MAPPING

    methods: dict[str, tuple[str, ...]] = {}
    for class_name in classes:
        backend_class = getattr(importlib.import_module(CLASS_FILE_PATH_MAPPING[class_name]), class_name)
        for name, function in inspect.getmembers(backend_class, predicate=inspect.isfunction):
            if not name.startswith("_"):
                methods[name] = tuple(p for p in inspect.signature(function).parameters if p != "self")
    return methods


def parse_call_string(text: str, parameters: Mapping[str, Sequence[str]]) -> ToolCall:
    """A ground-truth call string such as ``mv(source='a', destination='b')`` as a :class:`ToolCall`."""
    node = ast.parse(text.strip(), mode="eval").body
    if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
        raise BenchDataError(f"BFCL multi-turn answer is not a plain call: {text!r}")
    name = node.func.id
    arguments = dict(
        zip(parameters.get(name, []), (ast.literal_eval(arg) for arg in node.args), strict=False)
    )
    arguments.update({str(kw.arg): ast.literal_eval(kw.value) for kw in node.keywords})
    return ToolCall(name, arguments)


def reference_multi_turn(case: BenchCase) -> list[list[ToolCall]]:
    """The ground-truth calls of every turn (a perfect model makes them in one step, then stops)."""
    parameters = backend_methods(tuple(case.meta["involved_classes"]))
    return [[parse_call_string(text, parameters) for text in turn] for turn in case.meta["ground_truth"]]


# --------------------------------------------------------------------------- the loop


@dataclass
class Episode:
    """One multi-turn case in progress: the conversation, the offered tools, the calls made per turn."""

    case: BenchCase
    token: str
    max_tokens: int
    messages: list[dict[str, Any]] = field(default_factory=list)
    functions: list[dict[str, Any]] = field(default_factory=list)
    withheld: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    turn: int = -1
    step: int = 0
    decoded: list[list[list[str]]] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    force_quit: bool = False
    done: bool = False
    error: str | None = None
    _tools: list[dict[str, Any]] | None = None

    def __post_init__(self) -> None:
        self.functions, self.withheld = entry_functions(
            self.case.meta["involved_classes"], self.case.meta["missed_function"]
        )
        self._next_turn()

    def _next_turn(self) -> None:
        self.turn += 1
        self.step = 0
        turns = self.case.meta["turns"]
        if self.turn >= len(turns):
            self.done = True
            return
        message_list = [dict(message) for message in turns[self.turn]]
        if str(self.turn) in self.withheld:
            self.functions = [*self.functions, *self.withheld[str(self.turn)]]
            self._tools = None
            message_list = [{"role": "user", "content": ADDED_FUNCTIONS_PROMPT}]
        self.messages.extend(message_list)
        self.decoded.append([])

    def request(self) -> ChatRequest:
        if self._tools is None:
            self._tools = to_openai_tools(self.functions, "multi_turn", language_hint=False)
        return ChatRequest(
            messages=list(self.messages),
            tools=self._tools,
            case_id=f"{self.case.id}#{self.turn}.{self.step}",
            max_tokens=self.max_tokens,
            context={"turn": self.turn, "step": self.step},
        )

    def advance(self, response: ChatResponse) -> None:
        self.outputs.append(response.raw)
        if response.error is not None:
            self.error, self.done = response.error, True
            return
        turn = AgentTurn(
            response.parsed.turn.think, response.parsed.turn.tool_calls, (), response.parsed.turn.text
        )
        message = to_openai_message(turn, id_prefix=f"call_{self.turn}_{self.step}")
        self.messages.append(message)
        calls = call_strings(response.parsed, backend_methods(tuple(self.case.meta["involved_classes"])))
        if not calls:
            self._next_turn()
            return
        self.decoded[-1].append(calls)
        results = _execute(calls, self.case, self.token)
        for tool_call, result in zip(message["tool_calls"], results, strict=True):
            self.messages.append({"role": "tool", "tool_call_id": tool_call["id"], "content": result})
        self.step += 1
        if self.step > MAX_STEPS:
            self.force_quit, self.done = True, True


def run_multi_turn(
    model: ChatModel, cases: Sequence[BenchCase], batch_size: int, max_tokens: int
) -> Iterator[BenchResult]:
    """Drive each batch of cases through the loop in lockstep (one batched request per step), then judge."""
    for start in range(0, len(cases), max(1, batch_size)):
        episodes = [
            Episode(case, _run_token(), max_tokens) for case in cases[start : start + max(1, batch_size)]
        ]
        try:
            while active := [episode for episode in episodes if not episode.done]:
                responses = model.generate([episode.request() for episode in active])
                if len(responses) != len(active):
                    raise RuntimeError(
                        f"model {model.name!r} returned {len(responses)} responses for {len(active)}"
                    )
                for episode, response in zip(active, responses, strict=True):
                    episode.advance(response)
        finally:
            for episode in episodes:
                _forget_instances(episode.token)
        for episode in episodes:
            meta: dict[str, Any] = {"category": episode.case.meta["category"], "decoded": episode.decoded}
            if episode.force_quit:
                meta["force_quit"] = True
            if episode.error is not None:
                label = "error"
            else:
                verdict = check_multi_turn(episode.case, episode.decoded)
                label = "pass" if verdict.valid else "fail"
                if not verdict.valid:
                    meta["error_type"], meta["errors"] = verdict.error_type, list(verdict.errors)
            yield BenchResult(
                case_id=episode.case.id,
                bench=BENCH,
                outputs=episode.outputs,
                messages=episode.messages,
                label=label,
                meta=meta,
                error=episode.error,
            )
