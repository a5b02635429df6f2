"""Shared fixtures for the sandbox tests: generated splits and reference-agent runs, built once."""

from __future__ import annotations

import pytest

from toolsafe.sandbox.agents import get_agent, run_agent
from toolsafe.sandbox.generate import generate
from toolsafe.sandbox.scenario import Scenario
from toolsafe.trajectory import Trajectory

SPLIT_SIZE = 1000


@pytest.fixture(scope="session")
def test_split() -> list[Scenario]:
    return generate("test", SPLIT_SIZE, seed=0)


@pytest.fixture(scope="session")
def train_split() -> list[Scenario]:
    return generate("train", SPLIT_SIZE, seed=0)


def _runs(agent: str, scenarios: list[Scenario]) -> list[Trajectory]:
    model = get_agent(agent)
    return [run_agent(model, scenario, seed=index) for index, scenario in enumerate(scenarios)]


@pytest.fixture(scope="session")
def oracle_runs(test_split: list[Scenario]) -> list[Trajectory]:
    return _runs("oracle", test_split)


@pytest.fixture(scope="session")
def naive_runs(test_split: list[Scenario]) -> list[Trajectory]:
    return _runs("naive", test_split)


@pytest.fixture(scope="session")
def refuse_runs(test_split: list[Scenario]) -> list[Trajectory]:
    return _runs("refuse-all", test_split)
