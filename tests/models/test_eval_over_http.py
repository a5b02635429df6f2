"""`evaluate_sandbox` through a real OpenAI-compatible server, including one killed mid-run."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from test_openai_api import ServerProcess

from toolsafe.evaluate import evaluate_sandbox
from toolsafe.models.openai_api import OpenAIChatModel
from toolsafe.rollout import RolloutConfig

pytest.importorskip("transformers")
pytestmark = [pytest.mark.integration, pytest.mark.slow]

CONFIG = RolloutConfig(batch_size=4, max_turns=2, max_tokens=12, retries=1, retry_wait_s=0.01)


def _ids(out: Path) -> list[str]:
    return [json.loads(line)["id"] for line in (out / "results.jsonl").read_text().splitlines()]


def test_eval_over_http_survives_a_killed_server(tiny_model_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    server = ServerProcess(tiny_model_dir)
    served = f"hf:{tiny_model_dir.name}"
    spec = f"openai:{server.url}#{served}?format=tagged"
    try:
        model = OpenAIChatModel(
            server.url, served, wire_format="tagged", concurrency=4, retries=0, backoff_s=0.01
        )
        killer = threading.Thread(target=lambda: (server.handled.acquire(timeout=60), server.kill()))
        killer.start()
        first = evaluate_sandbox(model, spec, out, limit=14, config=CONFIG, write_report=False)
        killer.join(timeout=60)
    finally:
        server.kill()
    assert not first.complete  # episodes whose requests failed are recorded as errors, left pending
    errors = [json.loads(line) for line in (out / "errors.jsonl").read_text().splitlines()]
    assert errors and all("APIConnectionError" in e["error"] for e in errors)

    restarted = ServerProcess(tiny_model_dir, port=server.port)
    try:
        model = OpenAIChatModel(
            restarted.url, served, wire_format="tagged", concurrency=4, retries=2, backoff_s=0.01
        )
        second = evaluate_sandbox(model, spec, out, limit=14, config=CONFIG)
    finally:
        restarted.kill()
    assert second.complete, second.summary.failed
    ids = _ids(out)
    assert len(ids) == len(set(ids)) == 14
    assert second.metrics["n_episodes"] == 14
    assert (out / "report.html").exists()
