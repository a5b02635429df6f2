"""The light core: importing toolsafe, its CLI and its torch-free modules never loads torch or transformers."""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys

import toolsafe

HEAVY = ("torch", "transformers")
HEAVY_PACKAGES = ("toolsafe.train", "toolsafe.models")
"""Packages whose modules wrap torch-backed backends (their ``base`` modules stay light)."""


def _light_modules() -> list[str]:
    names = ["toolsafe", "toolsafe.cli", "toolsafe.models.base"]
    for info in pkgutil.walk_packages(toolsafe.__path__, prefix="toolsafe."):
        if not info.name.startswith(HEAVY_PACKAGES):
            names.append(info.name)
    return sorted(set(names))


def test_light_modules_do_not_import_heavy_libraries() -> None:
    modules = _light_modules()
    assert {"toolsafe.protocol", "toolsafe.policy", "toolsafe.taxonomy", "toolsafe.cli"} <= set(modules)
    script = (
        "import importlib, json, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        f"print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert json.loads(result.stdout.splitlines()[-1]) == []
