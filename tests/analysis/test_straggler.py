"""The straggler check (analysis/straggler.py): the slow rank named, no false alarm when
ranks run alike (as under DDP, where every rank runs at the slowest one's pace)."""

from __future__ import annotations

import numpy as np

from trainboard.analysis.health import HealthInputs, assess
from trainboard.analysis.straggler import check_straggler, rank_rate_keys

RANKS = {"1": {"host": "node-b", "local_rank": 1}, "0": {"host": "node-a", "local_rank": 0}}


def test_a_rank_three_times_slower_is_named_with_its_host_and_gpu() -> None:
    rates = {0: [15.0, 14.8, 15.2, 15.1], 1: [5.0, 5.2, 4.9, 5.1], 2: [14.9, 15.0, 15.3]}
    found = check_straggler(rates, RANKS)
    assert found is not None and found.check == "straggler" and found.severity == "warning"
    assert found.saw.startswith("rank 1 (host node-b, GPU 1) is 3.0× slower than the median rank")
    assert "3 ranks" in found.saw and "rank 1" in found.try_


def test_ranks_in_step_or_with_too_few_samples_raise_nothing() -> None:
    rng = np.random.default_rng(0)
    alike = {r: 10.0 + rng.normal(0, 0.5, 50) for r in range(8)}  # DDP: all at one pace
    assert check_straggler(alike, {}) is None
    assert check_straggler({0: [15.0] * 10, 1: [5.0, 5.0]}, RANKS) is None  # 2 samples
    assert check_straggler({0: [15.0] * 10}, RANKS) is None  # one rank
    assert check_straggler({0: [10.0] * 5, 1: [8.0] * 5}, RANKS) is None  # 1.25×: noise


def test_a_rank_that_stopped_is_named_and_reaches_the_verdict() -> None:
    x = HealthInputs(rank_rates={0: [12.0] * 5, 1: [0.0] * 5}, ranks={})
    health = assess(x)
    assert health.verdict == "warning"
    assert health.findings[0].saw.startswith("rank 1 (host ?, GPU -) has stopped while the median")
    assert "a rank is a straggler" in health.summary


def test_rate_keys_are_found_by_rank() -> None:
    keys = ["loss", "sys/rank10/steps_per_s", "sys/rank2/steps_per_s", "sys/rank2/cpu_percent"]
    assert rank_rate_keys(keys) == {2: "sys/rank2/steps_per_s", 10: "sys/rank10/steps_per_s"}


def test_a_slow_rank_waiting_for_data_is_said_to_wait_for_data() -> None:
    rates = {0: [15.0] * 5, 1: [5.0] * 5}  # rank 1: 0.2 s a step, 0.14 s of it for data
    waits = {0: [0.01] * 5, 1: [0.14] * 5}
    found = check_straggler(rates, RANKS, waits)
    assert found is not None
    assert found.saw.startswith("rank 1 (host node-b, GPU 1) is 3.0× slower than the median rank")
    assert found.saw.endswith("; it spends 70% of its step waiting for data")
    assert "data loading" in found.try_
    little = check_straggler(rates, RANKS, {1: [0.02] * 5})  # 10% of its step: not the cause
    assert little is not None and "waiting for data" not in little.saw
    assert "data loading" not in little.try_


def test_data_wait_keys_are_found_by_rank() -> None:
    from trainboard.analysis.straggler import WAIT_KEY

    keys = ["sys/rank0/data_wait", "sys/rank1/data_wait", "sys/rank1/steps_per_s", "data_time"]
    assert rank_rate_keys(keys, WAIT_KEY) == {0: "sys/rank0/data_wait", 1: "sys/rank1/data_wait"}


def test_under_ddp_the_rank_that_waits_least_while_the_others_wait_is_named() -> None:
    """All rates alike (DDP); ranks 0, 2, 3 wait 0.14 s of a 0.2 s step in the all-reduce,
    rank 1 hardly waits: rank 1 is the one they wait for."""
    rates = {r: [5.0] * 6 for r in range(4)}
    comm = {0: [0.14] * 6, 1: [0.01, 0.02, 0.01, 0.015, 0.01, 0.01], 2: [0.13] * 6, 3: [0.15] * 6}
    found = check_straggler(rates, RANKS, comm=comm)
    assert found is not None and found.check == "straggler"
    assert found.saw == (
        "rank 1 (host node-b, GPU 1) is the one the others wait for: they wait 70% of each "
        "step (it waits 5%)"
    )
    # the same wait read through the health inputs (sys/rank{r}/comm_wait)
    health = assess(HealthInputs(rank_rates=rates, rank_comm=comm, ranks=RANKS))
    assert health.verdict == "warning" and "a rank is a straggler" in health.summary
    assert health.findings[0].saw == found.saw


def test_all_reduce_waits_alike_or_short_raise_nothing() -> None:
    rates = {r: [5.0] * 6 for r in range(2)}
    alike = {0: [0.12] * 6, 1: [0.10] * 6}  # both wait: a slow network, not a slow rank
    assert check_straggler(rates, RANKS, comm=alike) is None
    short = {0: [0.03] * 6, 1: [0.001] * 6}  # 15% of a step: not holding the job back
    assert check_straggler(rates, RANKS, comm=short) is None
    assert check_straggler(rates, RANKS, comm={0: [0.14] * 6}) is None  # one rank timed
    assert check_straggler(rates, RANKS, comm={0: [0.14] * 6, 1: [0.0] * 2}) is None  # 2 samples
