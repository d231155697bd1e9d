"""Fuzzing: schemathesis sends generated requests, valid and invalid, to every operation of
the OpenAPI schema, on both engines (PostgreSQL with the server's token), against a real
uvicorn. Every answer is checked against the schema the UI's types are generated from: no 5xx,
a documented status code, content type and headers, a body that matches the response schema,
and invalid input refused. A failing case found here becomes a regular test in
test_strangers.py or test_api.py; the fuzzer's examples are derandomized in CI.

One check is left out: schemathesis' "schema-valid request rejected". The server refuses some
requests the schema cannot describe as wrong (run ids with NUL characters, a delete without
"confirm", a sweep with none of project=, tag= or ids=, an unknown table column), with a 400
that names the problem, as it should.

Each engine gets at least MIN_REQUESTS requests per run (about 40 s each on 2 cores)."""

from __future__ import annotations

import importlib.util
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import checks

from trainboard.store import open_store
from trainboard.store.records import PointBatch, RunRecord, TextRecord

pytestmark = pytest.mark.slow  # a thousand generated requests per engine

MIN_REQUESTS = 1000
PER_OPERATION = 40  # examples per operation and generation mode
RID = "a1b2c3d4e5f6"
TOKEN = "fuzz-admin-token"
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
    checks.negative_data_rejection,
]


def _server_process_class() -> type:
    spec = importlib.util.spec_from_file_location(
        "_fuzz_conftest", Path(__file__).parent / "conftest.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.ServerProcess  # type: ignore[no-any-return]


_Base = _server_process_class()


class _Server(_Base):  # type: ignore[misc, valid-type]
    """conftest's ServerProcess, optionally over another store URL."""

    db_url: str | None = None

    @property
    def store_url(self) -> str:
        return self.db_url or f"sqlite:///{self.home / 'trainboard.db'}"

    def env(self) -> dict[str, str]:
        env: dict[str, str] = super().env()
        if self.db_url:
            env["TRAINBOARD_DB"] = self.db_url
        return env


def _seed(url: str) -> None:
    """A run with points, a text and an artifact row, so the fuzzer's ids can hit something."""
    with open_store(url) as db:
        db.create_run(RunRecord(id=RID, project="p", name="fuzzed", model="m"))
        n = 50
        values = [1.0 / (i + 1) for i in range(n)]
        db.write_points(RID, {"train/loss": PointBatch.of(range(n), [time.time()] * n, values)})
        db.write_texts(RID, [TextRecord("samples", 1, time.time(), "hello")])


def _fuzz(srv: Any, headers: dict[str, str]) -> tuple[int, list[str]]:
    """(requests sent, failed checks) over every operation, positive and negative cases.

    Half the operations at least must also answer 2xx once: a fuzzer that only ever reaches the
    404 page (as when the base URL was doubled) checks nothing."""
    schema = schemathesis.openapi.from_url(f"{srv.url}/api/v1/openapi.json", headers=headers)
    session = requests.Session()
    session.headers.update(headers)
    sent = 0
    failures: list[str] = []
    operations: set[str] = set()
    answered: set[str] = set()
    for result in schema.get_all_operations():
        op = result.ok()
        operations.add(f"{op.method.upper()} {op.path}")
        if op.path.endswith("/live"):  # an endless stream: its status is all there is
            with httpx.stream("GET", f"{srv.url}/api/v1/live", headers=headers) as r:
                sent += 1
                if r.status_code != 200:
                    failures.append(f"GET /live -> {r.status_code}")
            continue
        for mode in (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE):
            strategy = op.as_strategy(generation_mode=mode)

            @settings(max_examples=PER_OPERATION, deadline=None, database=None,
                      phases=[Phase.explicit, Phase.generate],
                      suppress_health_check=list(HealthCheck))  # fmt: skip
            @given(case=strategy, rid=st.sampled_from([RID, "nope"]))
            def one(case: Any, rid: str) -> None:
                nonlocal sent
                if "run_id" in (case.path_parameters or {}) and rid == RID:
                    case.path_parameters["run_id"] = RID  # also aim at a run that exists
                # the schema's paths start with /api/v1 themselves
                response = case.call(base_url=srv.url, session=session, timeout=30)
                sent += 1
                if response.status_code < 300:
                    answered.add(f"{case.method} {case.operation.path}")
                try:
                    case.validate_response(response, checks=CHECKS, headers=headers)
                except (checks.FailureGroup, checks.Failure) as e:
                    failed = e.exceptions if isinstance(e, checks.FailureGroup) else (e,)
                    failures.extend(
                        f"{case.method} {response.request.url} -> {response.status_code} "
                        f"{response.text[:200]!r}: {f.title}: {f.message[:300]}"
                        for f in failed
                    )

            try:
                one()
            except Unsatisfiable:  # nothing in this operation can be made invalid
                assert mode == schemathesis.GenerationMode.NEGATIVE, op.path
    answered.add("GET /api/v1/live")
    never = sorted(operations - answered)
    assert len(never) <= len(operations) // 2, f"never answered 2xx: {never}"
    return sent, failures


@pytest.mark.timeout(600)
def test_fuzz_sqlite(tmp_path: Path) -> None:
    srv = _Server(tmp_path / "fuzz-sqlite")
    srv.home.mkdir(parents=True)
    _seed(srv.store_url)
    srv.start()
    try:
        sent, failures = _fuzz(srv, {})
    finally:
        srv.stop()
    assert not failures, "\n".join(failures[:20]) + f"\n--- server ---\n{srv.output()[-4000:]}"
    print(f"fuzz: {sent} requests, every answer as the schema says")
    assert sent >= MIN_REQUESTS


@pytest.mark.timeout(600)
def test_fuzz_postgres_with_a_token(tmp_path: Path, pg_url: str) -> None:
    srv = _Server(tmp_path / "fuzz-pg", token=TOKEN)
    srv.db_url = pg_url
    _seed(pg_url)
    srv.start()
    try:
        sent, failures = _fuzz(srv, {"Authorization": f"Bearer {TOKEN}"})
        with srv.client() as c:  # the token mode held throughout
            assert c.get("/api/v1/runs").status_code == 401
    finally:
        srv.stop()
    assert not failures, "\n".join(failures[:20]) + f"\n--- server ---\n{srv.output()[-4000:]}"
    print(f"fuzz: {sent} requests, every answer as the schema says")
    assert sent >= MIN_REQUESTS
