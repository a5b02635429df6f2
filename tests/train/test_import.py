"""The training package and its command load no torch until training starts."""

from __future__ import annotations

import subprocess
import sys


def test_train_package_and_command_import_without_torch() -> None:
    code = (
        "import sys, toolsafe.train, toolsafe.train.dry_run, toolsafe.cli.train_cmd; "
        "print(sorted(m for m in ('torch', 'transformers', 'trl', 'datasets') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
