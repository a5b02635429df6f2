"""InjecAgent: indirect prompt injection through a tool response (Zhan et al., ACL Findings 2024).

Data: ``injecagent/data/`` (MIT, see ``LICENSE-NOTE.txt``). Scoring reproduces upstream's
``evaluate_output_prompted`` / ``evaluate_output_finetuned`` and ``get_score``; the paper
convention of arXiv 2507.08270 (a confirmation request counts as detection) is reported apart.
"""

from toolsafe.benchmarks.injecagent.bench import AGENT_STYLES, AgentStyle, InjecAgent
from toolsafe.benchmarks.injecagent.evaluation import Verdict, evaluate_finetuned, evaluate_prompted

__all__ = ["AGENT_STYLES", "AgentStyle", "InjecAgent", "Verdict", "evaluate_finetuned", "evaluate_prompted"]
