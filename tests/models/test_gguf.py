"""The GGUF conversion cache: where it lives and how it is keyed."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from toolsafe.models.errors import ModelSpecError
from toolsafe.models.gguf import HASH_PREFIX_CHARS, cached_checkpoint, convert_gguf, model_cache_dir


def test_cache_lives_under_toolsafe_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOOLSAFE_CACHE", str(tmp_path / "cache"))
    assert model_cache_dir() == tmp_path / "cache" / "models"
    monkeypatch.delenv("TOOLSAFE_CACHE")
    assert model_cache_dir() == Path.home() / ".cache" / "toolsafe" / "models"


def test_checkpoint_is_keyed_by_content_not_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOOLSAFE_CACHE", str(tmp_path))
    first, same, other = tmp_path / "a.gguf", tmp_path / "b.gguf", tmp_path / "c.gguf"
    first.write_bytes(b"GGUF" + bytes(range(256)) * 5000)
    same.write_bytes(first.read_bytes())
    other.write_bytes(b"GGUF-other")
    expected = hashlib.sha256(first.read_bytes()).hexdigest()[:HASH_PREFIX_CHARS]
    assert cached_checkpoint(first) == tmp_path / "models" / expected
    assert cached_checkpoint(same) == cached_checkpoint(first) != cached_checkpoint(other)


def test_a_converted_checkpoint_is_reused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOOLSAFE_CACHE", str(tmp_path))
    gguf = tmp_path / "m.gguf"
    gguf.write_bytes(b"not really a gguf")
    target = cached_checkpoint(gguf)
    target.mkdir(parents=True)
    (target / "config.json").write_text("{}")
    assert convert_gguf(gguf) == target


def test_missing_and_unreadable_files_are_spec_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TOOLSAFE_CACHE", str(tmp_path / "cache"))
    with pytest.raises(ModelSpecError, match="GGUF file not found"):
        convert_gguf(tmp_path / "missing.gguf")
    pytest.importorskip("transformers")
    garbage = tmp_path / "garbage.gguf"
    garbage.write_bytes(b"\x00" * 64)
    with pytest.raises(ModelSpecError, match=r"cannot read .*garbage.gguf"):
        convert_gguf(garbage)
    assert not any(p.name.startswith(".") for p in (tmp_path / "cache" / "models").iterdir())
