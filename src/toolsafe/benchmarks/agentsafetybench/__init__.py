"""Agent-SafetyBench: unsafe agent behaviour in 349 simulated tool environments (Zhang et al., 2024).

Data: ``agent-safetybench/`` (MIT, see ``LICENSE-NOTE.txt``). Tool behaviour comes from a generic
deterministic simulator, not upstream's per-environment code (see :mod:`.simulator`); the
official safety score needs a ShieldAgent judge (see :mod:`.judge`).
"""

from toolsafe.benchmarks.agentsafetybench.bench import MAX_ROUNDS, AgentSafetyBench
from toolsafe.benchmarks.agentsafetybench.judge import parse_verdict, render_dialog, shield_prompt
from toolsafe.benchmarks.agentsafetybench.simulator import simulate

__all__ = ["MAX_ROUNDS", "AgentSafetyBench", "parse_verdict", "render_dialog", "shield_prompt", "simulate"]
