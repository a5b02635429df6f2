"""toolsafe: make tool-using LLM agents safe and keep them useful.

``import toolsafe`` stays light (no torch); heavy backends load on use.
"""

from toolsafe.policy import Policy, PolicyError, default_policy, load_policy
from toolsafe.protocol import AgentTurn, Check, ParsedTurn, Problem, ToolCall, parse_tagged, render_tagged
from toolsafe.taxonomy import Channel, Decision, Labels, Risk

__version__ = "0.1.0"

__all__ = [
    "AgentTurn",
    "Channel",
    "Check",
    "Decision",
    "Labels",
    "ParsedTurn",
    "Policy",
    "PolicyError",
    "Problem",
    "Risk",
    "ToolCall",
    "__version__",
    "default_policy",
    "load_policy",
    "parse_tagged",
    "render_tagged",
]
