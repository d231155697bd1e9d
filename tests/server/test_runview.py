"""The runs list pauses the cyclic garbage collector only while it builds the response: the
collector always comes back, after a list, a page, and a request that fails."""

from __future__ import annotations

import gc
import os

import pytest
from fastapi.testclient import TestClient

from trainboard import gcpause
from trainboard.server.app import create_app


def test_paused_inside_and_restored_after_an_error() -> None:
    assert gc.isenabled()
    with pytest.raises(RuntimeError, match="boom"), gcpause.paused():
        assert not gc.isenabled()
        raise RuntimeError("boom")
    assert gc.isenabled()


def test_a_paused_collector_stays_paused() -> None:
    gc.disable()
    try:
        with gcpause.paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_the_collector_runs_again_after_a_list_request(tmp_path: os.PathLike[str]) -> None:
    with TestClient(create_app(f"sqlite:///{tmp_path}/t.db")) as client:
        for params in ({"limit": 10}, {"limit": 1, "offset": 1}, {"sort": "nope"}):
            client.get("/api/v1/runs", params=params)
            assert gc.isenabled(), params
