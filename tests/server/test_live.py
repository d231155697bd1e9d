"""Server-sent events: a page learns of new points and changed runs without polling."""

from __future__ import annotations

import queue
import threading
import time
from typing import Any

import httpx
import orjson

from trainboard.store.base import Store
from trainboard.store.records import PointBatch, RunRecord

A = "a1b2c3d4e5f6"


class EventReader:
    """Reads an SSE stream on a thread; `next(event)` waits for the next event of that name."""

    def __init__(self, url: str) -> None:
        self.events: queue.Queue[tuple[str, Any]] = queue.Queue()
        self.comments: list[str] = []
        self.connected = threading.Event()
        self._client = httpx.Client(timeout=httpx.Timeout(10, read=None))
        self._thread = threading.Thread(target=self._read, args=(url,), daemon=True)
        self._thread.start()
        assert self.connected.wait(10), "no SSE connection"

    def _read(self, url: str) -> None:
        event = None
        try:
            with self._client.stream("GET", url) as r:
                assert r.headers["content-type"].startswith("text/event-stream")
                for line in r.iter_lines():
                    if line.startswith("retry:"):
                        self.connected.set()
                    elif line.startswith(":"):
                        self.comments.append(line)
                    elif line.startswith("event: "):
                        event = line[7:]
                    elif line.startswith("data: ") and event:
                        self.events.put((event, orjson.loads(line[6:])))
        except httpx.HTTPError:
            pass  # closed by the test

    def next(self, name: str, timeout: float) -> Any:
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                event, data = self.events.get(timeout=left)
            except queue.Empty:
                break
            if event == name:
                return data
        raise AssertionError(f"no {name!r} event within {timeout}s")

    def close(self) -> None:
        self._client.close()


def test_points_event_within_a_second_of_new_points(server: Any, db: Store) -> None:
    now = time.time()
    reader = EventReader(f"{server.url}/api/v1/live")
    try:
        db.create_run(RunRecord(id=A, project="p", name="live", created_at=now, heartbeat_at=now))
        assert reader.next("runs", timeout=5) == {"ids": [A]}
        db.write_points(A, {"train/loss": PointBatch.of([1, 2], [now, now], [2.0, 1.9])})
        assert reader.next("points", timeout=1.0) == {
            "run": A,
            "last_step": 2,
            "keys": ["train/loss"],
        }
        db.write_points(A, {"eval/loss": PointBatch.of([2], [now], [2.5])})
        assert reader.next("points", timeout=1.0)["keys"] == ["eval/loss"]
        db.update_run(A, status="finished", finished_at=time.time())
        assert reader.next("runs", timeout=5) == {"ids": [A]}
    finally:
        reader.close()


def test_actions_announce_changed_runs(server: Any, db: Store, api: httpx.Client) -> None:
    db.create_run(RunRecord(id=A, project="p", name="x", status="finished", created_at=1.0))
    reader = EventReader(f"{server.url}/api/v1/live")
    try:
        assert api.post("/api/v1/runs/archive", json={"ids": [A]}).status_code == 200
        assert reader.next("runs", timeout=5) == {"ids": [A]}
    finally:
        reader.close()


def test_a_page_opened_on_an_idle_server_misses_no_point(server: Any, db: Store) -> None:
    """With no page open the poller only keeps its baseline (sse.IDLE_SECONDS); the stream
    opening wakes it, and points written right after still reach the page."""
    db.create_run(RunRecord(id=A, project="p", name="idle", status="running", total_steps=10))
    db.write_points(A, {"loss": PointBatch.of([1], [time.time()], [1.0])})
    time.sleep(3)  # let the poller go idle: no page is open
    reader = EventReader(f"{server.url}/api/v1/live")
    try:
        db.write_points(A, {"loss": PointBatch.of([2], [time.time()], [0.5])})
        got = reader.next("points", timeout=30)
        assert got["run"] == A and got["last_step"] == 2 and got["keys"] == ["loss"]
    finally:
        reader.close()


def test_an_unwatched_poll_leaves_the_count_to_the_next_watched_one(db: Store) -> None:
    """poll(watched=False) (no page open) neither counts runs nor reports the list changed;
    the first watched poll after it does."""
    from trainboard.server.sse import EventHub

    db.create_run(RunRecord(id=A, project="p", name="a", status="finished"))
    hub = EventHub(db)
    assert hub.poll() == []  # the baseline
    db.create_run(RunRecord(id="b" * 12, project="p", name="b", status="finished"))
    assert hub.poll(watched=False) == []
    assert ("runs", {"ids": []}) in hub.poll(watched=True)
    assert hub.poll(watched=True) == []
    # a page opening after an idle spell: its first poll takes the count as it is
    db.delete_runs(["b" * 12])
    assert hub.poll(watched=False) == []
    hub._rebase = True  # what stream() sets when the first page comes
    assert hub.poll(watched=True) == []
    db.delete_runs([A])
    assert ("runs", {"ids": []}) in hub.poll(watched=True)
