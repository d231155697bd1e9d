"""runview.gc_paused_until_sent: the collector is paused while a list is built and always
comes back: after the response is sent, when its task is dropped unsent, or on an error."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from trainboard.server.app import create_app
from trainboard.server.runview import gc_paused_until_sent


@pytest.fixture(autouse=True)
def gc_enabled() -> Iterator[None]:
    gc.enable()
    yield
    gc.enable()


def test_paused_until_the_task_runs_after_sending() -> None:
    with gc_paused_until_sent() as keep:
        assert not gc.isenabled()
        big = [{"i": i} for i in range(1000)]
        task = keep(big)
    assert not gc.isenabled()  # still paused: the response has not gone out yet
    asyncio.run(task())
    assert gc.isenabled()


def test_a_task_dropped_unsent_resumes_the_collector() -> None:
    with gc_paused_until_sent() as keep:
        task = keep([1, 2, 3])
    assert not gc.isenabled()
    del task
    assert gc.isenabled()


def test_an_error_while_building_resumes_the_collector() -> None:
    with pytest.raises(RuntimeError, match="boom"), gc_paused_until_sent():
        raise RuntimeError("boom")
    assert gc.isenabled()


def test_a_paused_collector_stays_paused() -> None:
    gc.disable()
    with gc_paused_until_sent() as keep:
        task = keep([1])
    asyncio.run(task())
    del task
    assert not gc.isenabled()


def test_the_collector_runs_again_after_a_list_request(tmp_path: object) -> None:
    with TestClient(create_app(f"sqlite:///{tmp_path}/t.db")) as client:
        for params in ({"limit": 10}, {"limit": 1, "offset": 1}, {"sort": "nope"}):
            client.get("/api/v1/runs", params=params)
            assert gc.isenabled(), params
