"""The OpenAI-compatible backend against a real HTTP server serving the tiny model.

In-process tests run :class:`ChatServer` on a background thread; the kill/restart test runs
``python -m toolsafe.models.server`` as a subprocess and kills it while requests are in flight.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from tiny_chat import ANSWERS, HELLO_PROMPT, TOOLS, TRANSFER_PROMPT, WEATHER_PROMPT, user

from toolsafe.models.base import ChatRequest, ChatResponse, WireFormat, failed_response
from toolsafe.models.errors import ModelSpecError, ModelUnavailableError
from toolsafe.models.openai_api import OpenAIChatModel
from toolsafe.models.registry import load_model
from toolsafe.models.server import ChatServer
from toolsafe.protocol import Check, ToolCall

pytest.importorskip("transformers")
pytestmark = pytest.mark.integration


class FlakyModel:
    """Serves ``inner`` but fails the first ``failures`` generate calls, as an overloaded server would."""

    def __init__(self, inner: Any, failures: int) -> None:
        self.inner = inner
        self.name: str = inner.name
        self.wire_format: WireFormat = inner.wire_format
        self.failures = failures
        self.calls = 0

    def generate(self, requests: Sequence[ChatRequest]) -> list[ChatResponse]:
        self.calls += 1
        if self.calls <= self.failures:
            return [failed_response("backend overloaded")] * len(requests)
        responses: list[ChatResponse] = self.inner.generate(requests)
        return responses


@pytest.fixture
def server(tiny_model: Any) -> Iterator[ChatServer]:
    with ChatServer(tiny_model, quiet=True) as running:
        yield running


def client(server: ChatServer, **options: Any) -> OpenAIChatModel:
    options = {"retries": 0, "backoff_s": 0.01, "timeout_s": 30.0, **options}
    return OpenAIChatModel(server.url, server.model.name, **options)


def request(prompt: str, case: str = "") -> ChatRequest:
    return ChatRequest(messages=user(prompt), tools=TOOLS, case_id=case, max_tokens=64)


def test_native_tool_calls_and_confirmations_come_back_over_http(server: ChatServer) -> None:
    model = client(server, concurrency=3)
    weather, transfer, hello = model.generate(
        [request(p) for p in (WEATHER_PROMPT, TRANSFER_PROMPT, HELLO_PROMPT)]
    )

    assert weather.error is None and weather.finish_reason == "tool_calls"
    assert weather.parsed.turn.tool_calls == (ToolCall("get_weather", {"city": "Oslo"}),)
    assert weather.message["tool_calls"][0]["function"]["name"] == "get_weather"
    assert transfer.parsed.turn.checks == (Check("transfer_money"),)
    assert transfer.parsed.turn.think == "Money leaves the account."
    assert hello.finish_reason == "stop" and hello.parsed.turn.text == ANSWERS[HELLO_PROMPT]
    assert hello.usage["completion_tokens"] > 0


def test_tagged_format_over_http_parses_the_generated_text(server: ChatServer) -> None:
    model = client(server, wire_format="tagged")
    weather, hello = model.generate([request(WEATHER_PROMPT), request(HELLO_PROMPT)])
    assert weather.raw == ANSWERS[WEATHER_PROMPT]
    assert weather.parsed.tagged_calls == (ToolCall("get_weather", {"city": "Oslo"}),)
    assert hello.raw == ANSWERS[HELLO_PROMPT] and hello.parsed.strict_valid


def test_history_with_native_tool_calls_is_accepted(server: ChatServer) -> None:
    model = client(server)
    (first,) = model.generate([request(WEATHER_PROMPT)])
    call_id = first.message["tool_calls"][0]["id"]
    history = [
        *user(WEATHER_PROMPT),
        first.message,
        {"role": "tool", "tool_call_id": call_id, "content": "rain"},
    ]
    (second,) = model.generate([ChatRequest(messages=history, tools=TOOLS, max_tokens=8)])
    assert second.error is None and second.usage["prompt_tokens"] > first.usage["prompt_tokens"]


def test_server_errors_are_retried_until_they_pass(tiny_model: Any) -> None:
    flaky = FlakyModel(tiny_model, failures=2)
    with ChatServer(flaky, quiet=True) as running:
        (response,) = client(running, retries=3).generate([request(WEATHER_PROMPT)])
    assert response.error is None
    assert response.parsed.turn.tool_calls == (ToolCall("get_weather", {"city": "Oslo"}),)
    assert flaky.calls == 3


def test_errors_past_the_retry_budget_are_recorded_not_raised(tiny_model: Any) -> None:
    flaky = FlakyModel(tiny_model, failures=5)
    with ChatServer(flaky, quiet=True) as running:
        (response,) = client(running, retries=1).generate([request(HELLO_PROMPT)])
    assert response.error is not None and "after 2 attempts" in response.error
    assert "backend overloaded" in response.error and "\n" not in response.error
    assert response.finish_reason == "error" and not response.parsed.lenient_valid
    assert flaky.calls == 2


def test_client_errors_are_not_retried(server: ChatServer) -> None:
    model = OpenAIChatModel(server.url, "no-such-model", retries=3, backoff_s=0.01)
    (response,) = model.generate([request(HELLO_PROMPT)])
    assert response.error is not None and "NotFoundError" in response.error
    assert "attempts" not in response.error


def test_check_reports_a_missing_model_and_a_dead_endpoint(tiny_model: Any) -> None:
    with ChatServer(tiny_model, quiet=True) as running:
        client(running).check()
        with pytest.raises(ModelUnavailableError, match=r"does not serve 'other'.*it serves: hf:"):
            OpenAIChatModel(running.url, "other").check()
        url = running.url
    dead = OpenAIChatModel(url, "m", retries=1, backoff_s=0.01)
    with pytest.raises(ModelUnavailableError, match="is not reachable"):
        dead.check()
    responses = dead.generate([request(HELLO_PROMPT)] * 3)
    assert all(r.error is not None and "APIConnectionError" in r.error for r in responses)


def test_spec_options_reach_the_backend(server: ChatServer) -> None:
    model = load_model(f"openai:{server.url}#{server.model.name}?format=tagged&concurrency=3&retries=0")
    assert isinstance(model, OpenAIChatModel)
    assert (model.wire_format, model.concurrency, model.retries) == ("tagged", 3, 0)
    assert model.generate([request(WEATHER_PROMPT)])[0].raw == ANSWERS[WEATHER_PROMPT]
    with pytest.raises(ModelSpecError, match=r"concurrency=.x. is not a valid int"):
        load_model(f"openai:{server.url}#m?concurrency=x")


class ServerProcess:
    """``python -m toolsafe.models.server`` in a subprocess, logging each request to stderr."""

    def __init__(self, model_dir: Path, port: int = 0) -> None:
        command = [sys.executable, "-m", "toolsafe.models.server", f"hf:{model_dir}", "--port", str(port)]
        env = {**os.environ, "OMP_NUM_THREADS": "1"}
        self.process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        assert line.startswith("serving "), line
        self.url = line.split(" at ")[1].strip()
        self.port = int(self.url.rsplit(":", 1)[1].split("/")[0])
        self.handled = threading.Semaphore(0)
        threading.Thread(target=self._count_requests, daemon=True).start()

    def _count_requests(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            if "POST /v1/chat/completions" in line:
                self.handled.release()

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(timeout=10)


@pytest.mark.slow
def test_killed_server_gives_per_request_errors_and_recovers_after_restart(tiny_model_dir: Path) -> None:
    server = ServerProcess(tiny_model_dir)
    try:
        model = OpenAIChatModel(
            server.url, f"hf:{tiny_model_dir.name}", concurrency=2, retries=1, backoff_s=0.01
        )
        results: list[ChatResponse] = []
        worker = threading.Thread(target=lambda: results.extend(model.generate([request(HELLO_PROMPT)] * 40)))
        worker.start()
        assert server.handled.acquire(timeout=60)
        server.kill()
        worker.join(timeout=60)

        assert len(results) == 40
        failed = [r for r in results if r.error is not None]
        assert failed, "every request finished before the kill"
        assert all("APIConnectionError" in (r.error or "") and r.finish_reason == "error" for r in failed)
        assert all(r.parsed.turn.text == ANSWERS[HELLO_PROMPT] for r in results if r.error is None)
        assert all(r.error for r in model.generate([request(HELLO_PROMPT)] * 2))
    finally:
        server.kill()

    restarted = ServerProcess(tiny_model_dir, port=server.port)
    try:
        (response,) = model.generate([request(WEATHER_PROMPT)])
        assert response.error is None
        assert response.parsed.turn.tool_calls == (ToolCall("get_weather", {"city": "Oslo"}),)
    finally:
        restarted.kill()
