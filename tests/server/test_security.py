"""The server's boundaries: the token gate, loopback-only without a token, and files served
only from inside their folders (artifacts, the built UI)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from trainboard.errors import UsageError
from trainboard.server.app import serve
from trainboard.store.base import Store
from trainboard.store.records import ArtifactRecord, RunRecord

A = "a1b2c3d4e5f6"


def test_refuses_a_non_loopback_host_without_a_token(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("TRAINBOARD_HOME", str(tmp_path))  # never the person's own store
    monkeypatch.delenv("TRAINBOARD_DB", raising=False)
    monkeypatch.delenv("TRAINBOARD_TOKEN", raising=False)
    with pytest.raises(UsageError, match="refusing to listen on 0.0.0.0, .* without a token"):
        serve(host="0.0.0.0", port=1)


def test_a_server_process_on_0000_without_a_token_exits_with_the_reason(tmp_path: Path) -> None:
    env = dict(os.environ, TRAINBOARD_HOME=str(tmp_path))
    env.pop("TRAINBOARD_TOKEN", None)
    code = "from trainboard.server.app import serve; serve(host='0.0.0.0', port=1)"
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, timeout=60)
    assert done.returncode != 0
    assert b"pass --token TOKEN or set TRAINBOARD_TOKEN" in done.stderr


def test_with_a_token_every_route_and_page_needs_it(token_server: Any) -> None:
    with httpx.Client(base_url=token_server.url, timeout=10) as c:
        for path in ("/api/v1/runs", "/api/v1/openapi.json", "/", "/runs/abc", "/api/v1/live"):
            r = c.get(path)
            assert r.status_code == 401, path
            assert r.json()["error"]["code"] == "unauthorized"
        wrong = c.get("/api/v1/runs", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
        ok = c.get("/api/v1/runs", headers={"Authorization": "Bearer s3cret-token"})
        assert ok.status_code == 200 and ok.json() == {"total": 0, "total_exact": True, "runs": []}
        assert c.get("/api/v1/runs", params={"token": "s3cret-token"}).status_code == 200
        page = c.get("/", params={"token": "s3cret-token"})
        assert page.status_code == 200 and "trainboard_token=" in page.headers["set-cookie"]
        assert "HttpOnly" in page.headers["set-cookie"]
        # the cookie from the page load now carries the app's fetches
        assert c.get("/api/v1/runs").status_code == 200


def _artifact(db: Store, path: str, name: str = "x") -> int:
    rec = db.add_artifact(A, ArtifactRecord(name, "file", None, path, 1, time.time()))
    assert rec.id is not None
    return rec.id


def test_artifact_files_never_come_from_outside_the_artifact_folder(
    api: httpx.Client, db: Store, server: Any, tmp_path: Path
) -> None:
    db.create_run(RunRecord(id=A, project="p", name="r", created_at=time.time()))
    secret = tmp_path / "secret.txt"
    secret.write_text("top secret")
    folder = server.home / "artifacts" / A
    folder.mkdir(parents=True)
    (folder / "link.txt").symlink_to(secret)
    (folder / "ok.txt").write_text("fine")
    hostile = {
        "dotdot": _artifact(db, f"{A}/../../../secret.txt"),
        "absolute": _artifact(db, str(secret)),
        "symlink": _artifact(db, f"{A}/link.txt"),
        "folder": _artifact(db, A),
    }
    for what, aid in hostile.items():
        r = api.get(f"/api/v1/runs/{A}/artifacts/{aid}/file")
        assert r.status_code == 404, what
        assert "top secret" not in r.text
        assert r.json()["error"]["message"] == (
            f"artifact {aid} of run '{A}' has no file in the store's artifact folder"
        )
    ok = _artifact(db, f"{A}/ok.txt")
    assert api.get(f"/api/v1/runs/{A}/artifacts/{ok}/file").text == "fine"
    for path in (f"/api/v1/runs/{A}/artifacts/..%2F..%2Fsecret.txt/file",
                 f"/api/v1/runs/{A}/artifacts/%2Fetc%2Fpasswd/file"):  # fmt: skip
        r = api.get(path)
        assert r.status_code in (400, 404) and "top secret" not in r.text, path


def test_the_ui_folder_does_not_serve_files_outside_it(api: httpx.Client) -> None:
    for path in ("/..%2F..%2F..%2Fetc%2Fpasswd", "/%2Fetc%2Fpasswd", "/assets/..%2F..%2Fapp.py",
                 "/..%2Fapp.py"):  # fmt: skip
        r = api.get(path)
        assert "root:" not in r.text and "create_app" not in r.text, path
