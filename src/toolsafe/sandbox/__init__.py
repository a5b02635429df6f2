"""The sandbox: simulated tools over seeded worlds, threats, scenarios, episodes and reference agents.

- :mod:`~toolsafe.sandbox.tools` / :mod:`~toolsafe.sandbox.world`: tool declaration and world state;
- :mod:`~toolsafe.sandbox.templates` and :mod:`~toolsafe.sandbox.domains`: what each domain declares;
- :mod:`~toolsafe.sandbox.threats`: injection styles and jailbreak wrappers;
- :mod:`~toolsafe.sandbox.generate`: ``generate(split, n, seed)`` → scenarios, JSONL / HF export;
- :mod:`~toolsafe.sandbox.episode`: ``Episode`` — one run of a scenario;
- :mod:`~toolsafe.sandbox.agents`: scripted reference agents (``get_agent``) and ``run_agent``.
"""
