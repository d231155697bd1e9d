"""Every value is refused at the call or stored (#23): a config or summary nested deeper than
any store can write raises at init() / update_config() / summary naming the key, and a value
the store refuses anyway never holds back the heartbeat or the final status, nor is retried
forever. Real SQLite and PostgreSQL stores."""

from __future__ import annotations

import time
import warnings
from pathlib import Path
from typing import Any

import orjson
import pytest

import trainboard
from trainboard.errors import TrainboardWarning
from trainboard.limits import MAX_JSON_DEPTH
from trainboard.store import open_store
from trainboard.store.queries import RunQuery


def _deep(levels: int) -> dict[str, Any]:
    value: dict[str, Any] = {"leaf": 1}
    for _ in range(levels - 1):
        value = {"a": value}
    return value


@pytest.mark.parametrize("store_url", ["sqlite", "postgresql"], indirect=True)
def test_a_deep_config_is_refused_at_init_naming_the_key(store_url: str) -> None:
    with pytest.raises(ValueError) as caught:
        trainboard.init(project="p", config={"lr": 0.1, "model": _deep(300)}, store=store_url)
    message = str(caught.value)
    assert message.startswith("init(): config['model']['a']"), message
    assert f"nested more than {MAX_JSON_DEPTH} levels deep" in message
    with open_store(store_url) as db:
        assert db.list_runs(RunQuery(archived=None)) == []  # nothing of that call recorded
    # exactly at the limit it is stored, and reads back whole
    run = trainboard.init(project="p", config={"ok": _deep(MAX_JSON_DEPTH - 1)}, store=store_url)
    run.finish()
    with open_store(store_url) as db:
        assert db.get_run(run.id).config == {"ok": _deep(MAX_JSON_DEPTH - 1)}


def test_update_config_and_summary_refuse_deep_values_and_the_run_goes_on(
    tb_home: str,
) -> None:
    run = trainboard.init(project="p", config={"lr": 0.1})
    with pytest.raises(ValueError, match=r"^update_config\(\): config\['deep'\]\['a'\]"):
        run.update_config({"deep": _deep(300)})
    with pytest.raises(ValueError, match=r"^config.update\(\): config\['deep'\]"):
        run.config.update({"deep": _deep(300)})
    loop: dict[str, Any] = {}
    loop["self"] = loop  # a dict that contains itself never ends
    with pytest.raises(ValueError, match=r"^summary: summary\['best'\]\['self'\]"):
        run.summary["best"] = loop
    run.update_config({"batch": 32})
    run.log({"loss": 1.0}, step=1)
    run.finish()
    with open_store() as db:
        stored = db.get_run(run.id)
    assert stored.status == "finished"
    assert stored.config == {"lr": 0.1, "batch": 32}


def test_a_config_the_store_refuses_never_holds_back_the_status(tb_home: str) -> None:
    """A value that got past the checks (here put on the writer's queue directly) and that
    the store cannot encode is set aside field by field; the heartbeat, the points and the
    final status are written, and the writer stops retrying it."""
    run = trainboard.init(project="p", config={"lr": 0.1})
    run.log({"loss": 1.0}, step=1)
    writer = run.state.writer
    assert writer is not None
    with pytest.raises(TypeError):
        orjson.dumps(_deep(300))  # what the store's JSON encoder says
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run.state.update(config=_deep(300))
        run.log({"loss": 0.5}, step=2)
        started = time.monotonic()
        run.finish()
    assert time.monotonic() - started < 5  # finish() did not wait out a retry loop
    assert writer.failures == 0, repr(writer.last_error)  # set aside at once, never retried
    with open_store() as db:
        stored = db.get_run(run.id)
        assert stored.status == "finished"
        assert stored.config == {"lr": 0.1}
        assert stored.summary["loss"].count == 2
    aside = [str(w.message) for w in caught if issubclass(w.category, TrainboardWarning)]
    assert any("refused run field config" in m for m in aside), aside
    dead = Path(tb_home) / "trainboard.db.deadletter.jsonl"
    line = orjson.loads(dead.read_bytes().splitlines()[-1])
    assert line["run"] == run.id and line["what"] == "run field config"
