"""``--limit`` slices: at most N cases per benchmark, every stratum covered, deterministic and nested."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable

import pytest

from toolsafe.benchmarks import get_benchmark
from toolsafe.benchmarks.base import BenchCase, stratified_slice
from toolsafe.benchmarks.bfcl.data import CATEGORIES


def test_slice_round_robins_over_strata_and_keeps_input_order() -> None:
    items = [("a", i) for i in range(10)] + [("b", i) for i in range(3)] + [("c", 0)]
    picked = stratified_slice(items, lambda item: item[0], 7)
    assert picked == [("a", 0), ("a", 4), ("a", 8), ("b", 0), ("b", 1), ("b", 2), ("c", 0)]
    assert stratified_slice(items, lambda item: item[0], 3) == [("a", 0), ("b", 0), ("c", 0)]


def test_slice_spreads_over_a_stratum_rather_than_taking_its_head() -> None:
    picked = stratified_slice(list(range(100)), lambda _: 0, 4)
    assert picked == [0, 32, 64, 96]
    assert stratified_slice(list(range(5)), lambda _: 0, 5) == [0, 1, 2, 3, 4]


def test_slice_without_limit_or_beyond_the_size_is_everything() -> None:
    items = list(range(9))
    assert stratified_slice(items, lambda i: i % 2, None) == items
    assert stratified_slice(items, lambda i: i % 2, 100) == items
    assert stratified_slice([], lambda i: i, 3) == []


@pytest.mark.parametrize("limit", [0, -1])
def test_slice_rejects_a_limit_below_one(limit: int) -> None:
    with pytest.raises(ValueError, match="limit must be at least 1"):
        stratified_slice([1, 2], lambda i: i, limit)


def test_slices_are_nested_as_the_limit_grows() -> None:
    items = list(range(300))
    previous: set[int] = set()
    for limit in range(1, 301, 7):
        picked = set(stratified_slice(items, lambda i: i % 7 if i < 200 else 9, limit))
        assert len(picked) == limit and previous <= picked
        previous = picked


def _injecagent_stratum(case: BenchCase) -> Hashable:
    return case.meta["setting"], case.meta["attack"]


def _asb_stratum(case: BenchCase) -> Hashable:
    return case.meta["fulfillable"], case.meta["risks"][0]


def _bfcl_stratum(case: BenchCase) -> Hashable:
    return case.meta["category"]


STRATA: dict[str, Callable[[BenchCase], Hashable]] = {
    "injecagent": _injecagent_stratum,
    "agentsafetybench": _asb_stratum,
    "bfcl": _bfcl_stratum,
}


def _all_strata(name: str) -> set[Hashable]:
    if name == "bfcl":  # every category, without building all 5,000 cases
        return set(CATEGORIES)
    return {STRATA[name](case) for case in get_benchmark(name).load()}


@pytest.mark.parametrize("name", sorted(STRATA))
def test_a_small_limit_covers_every_stratum_deterministically(name: str) -> None:
    strata = _all_strata(name)
    assert len(strata) == {"injecagent": 4, "agentsafetybench": 15, "bfcl": 17}[name]
    exact = get_benchmark(name).load(None, len(strata))
    assert Counter(map(STRATA[name], exact)) == dict.fromkeys(strata, 1)

    first = get_benchmark(name).load(None, 50)
    again = get_benchmark(name).load(None, 50)
    assert [case.id for case in first] == [case.id for case in again]
    assert len(first) == 50 == len({case.id for case in first})
    counts = Counter(map(STRATA[name], first))
    assert set(counts) == strata and max(counts.values()) - min(counts.values()) <= 1

    larger = {case.id for case in get_benchmark(name).load(None, 120)}
    assert {case.id for case in first} <= larger


def test_injecagent_slice_varies_attacker_and_user_cases() -> None:
    cases = get_benchmark("injecagent").load(None, 50)
    base_dh = [case for case in cases if _injecagent_stratum(case) == ("base", "dh")]
    assert len({case.meta["attacker_tools"][0] for case in base_dh}) == len(base_dh)
    assert len({case.meta["user_tool"] for case in base_dh}) > len(base_dh) // 2
    assert {case.meta["attack_type"] for case in base_dh} == {
        "Physical Harm",
        "Financial Harm",
        "Data Security Harm",
    }
