"""Convert a GGUF file once into a plain transformers checkpoint, cached by the file's content hash.

transformers dequantises GGUF weights to fp32 at load time but keeps a GGUF quantizer attached,
which makes ``save_pretrained`` and training refuse the model; it is detached before saving.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from toolsafe.models.errors import ModelSpecError

CACHE_ENV = "TOOLSAFE_CACHE"
HASH_PREFIX_CHARS = 16
_CHUNK = 1 << 20


def model_cache_dir() -> Path:
    """Where converted checkpoints live: ``$TOOLSAFE_CACHE/models`` or ``~/.cache/toolsafe/models``."""
    root = os.environ.get(CACHE_ENV)
    base = Path(root).expanduser() if root else Path.home() / ".cache" / "toolsafe"
    return base / "models"


def file_digest(path: Path) -> str:
    """The sha256 of a file's bytes, hex."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def cached_checkpoint(gguf: Path) -> Path:
    """The cache directory a GGUF file converts to (it may not exist yet)."""
    return model_cache_dir() / file_digest(gguf)[:HASH_PREFIX_CHARS]


def convert_gguf(gguf: str | Path) -> Path:
    """Return a checkpoint directory for ``gguf``, converting it on first use.

    The conversion is written to a temporary directory and renamed into place, so concurrent
    first uses do not see a half-written checkpoint.
    """
    source = Path(gguf).expanduser()
    if not source.is_file():
        raise ModelSpecError(f"GGUF file not found: {source}")
    target = cached_checkpoint(source)
    if (target / "config.json").is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        _convert(source, scratch)
        try:
            scratch.rename(target)
        except OSError:  # another process finished first
            if not (target / "config.json").is_file():
                raise
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return target


def _convert(source: Path, out_dir: Path) -> None:
    """Load the GGUF with transformers, detach the quantizer, save the checkpoint and tokenizer."""
    from toolsafe.models.hf import TRAIN_EXTRA_HINT, require_torch

    torch = require_torch()
    from transformers import AutoModelForCausalLM, AutoTokenizer

    try:
        tokenizer = AutoTokenizer.from_pretrained(source.parent, gguf_file=source.name)
        model: Any = AutoModelForCausalLM.from_pretrained(
            source.parent, gguf_file=source.name, dtype=torch.float32
        )
    except ImportError as error:
        raise ModelSpecError(f"reading GGUF needs the gguf package: {TRAIN_EXTRA_HINT}") from error
    except (ValueError, KeyError, OSError) as error:
        detail = " ".join(str(error).split())[:200]
        raise ModelSpecError(f"cannot read {source} as a GGUF model: {detail}") from None
    model.hf_quantizer = None
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    model.is_quantized = False
    model.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
    (out_dir / "SOURCE").write_text(f"{source.resolve()}\n", encoding="utf-8")
