"""Session fixtures: the tiny chat model of :mod:`tiny_chat`, built once per test run.

The model is tiny, so these tests run torch on one thread: on shared cores that is several times
faster than two threads contending. The previous setting is restored after each test.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tiny_chat import build_tiny_model, one_torch_thread


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A checkpoint directory holding the trained tiny model and its tokenizer."""
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    with one_torch_thread():
        return build_tiny_model(tmp_path_factory.mktemp("tiny-chat-model"))


@pytest.fixture(scope="session")
def tiny_model(tiny_model_dir: Path) -> Any:
    """The tiny model loaded through the hf backend (shared across tests; it holds no state)."""
    from toolsafe.models.hf import HFChatModel

    return HFChatModel(tiny_model_dir, batch_size=4)


@pytest.fixture(autouse=True)
def _tiny_model_threads(request: pytest.FixtureRequest) -> Iterator[None]:
    if "tiny_model" not in request.fixturenames and "tiny_model_dir" not in request.fixturenames:
        yield
        return
    with one_torch_thread():
        yield
