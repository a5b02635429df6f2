"""BFCL v4 (Berkeley Function Calling Leaderboard) through the ``bfcl-eval`` wheel's data and checkers."""

from toolsafe.benchmarks.bfcl.adapter import BFCL, build_case, decode_calls, judge, reference_turn
from toolsafe.benchmarks.bfcl.checker import BFCLNotInstalledError, Verdict
from toolsafe.benchmarks.bfcl.data import (
    CATEGORIES,
    LEFT_OUT,
    MULTI_TURN,
    SINGLE_TURN,
    case_id,
    to_openai_tools,
)
from toolsafe.benchmarks.bfcl.multi_turn import reference_multi_turn

__all__ = [
    "BFCL",
    "CATEGORIES",
    "LEFT_OUT",
    "MULTI_TURN",
    "SINGLE_TURN",
    "BFCLNotInstalledError",
    "Verdict",
    "build_case",
    "case_id",
    "decode_calls",
    "judge",
    "reference_multi_turn",
    "reference_turn",
    "to_openai_tools",
]
