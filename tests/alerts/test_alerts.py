"""Alerts from real training loops to real local servers: what fires, once per episode, what
a POST and an email say, and that a dead endpoint never reaches the training loop."""

from __future__ import annotations

import math
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from alert_support import Hook, Mailbox

import trainboard
from trainboard.alerts.deliver import Deliverer
from trainboard.alerts.kinds import parse_kinds, takes
from trainboard.alerts.rules import parse_rule
from trainboard.errors import UsageError
from trainboard.store import open_store
from trainboard.store.sql import channels
from trainboard.store.sql.channels import ChannelRecord


def _add(url: str | None, channel: ChannelRecord) -> ChannelRecord:
    with open_store(url) as store:
        return channels.add(store, channel)


def _events(run_id: str) -> list[tuple[str, str]]:
    with open_store() as store:
        return [(e.kind, e.text) for e in store.read_events(run_id)]


@pytest.mark.usefixtures("fast_control")
def test_a_nan_run_sends_one_alert_with_the_run_and_the_step(tb_home: str, webhook: Hook) -> None:
    _add(None, ChannelRecord("webhook", webhook.url + "/hook"))
    run = trainboard.init(project="alerts", name="nan-run")
    for step in range(1, 21):
        run.log({"train/loss": 2.0 - step * 0.01}, step=step)
    logged = time.time()
    for step in range(21, 60):  # NaN from step 21 on: one episode, many NaN steps
        run.log({"train/loss": math.nan}, step=step)
        time.sleep(0.01)
    posts = webhook.wait(lambda ps: any(p.json["kind"] == "nan" for p in ps))
    nan = next(p for p in posts if p.json["kind"] == "nan")
    body = nan.json
    assert body["run"] == {"id": run.id, "name": "nan-run", "project": "alerts"}
    assert "train/loss is nan" in body["reason"]
    assert body["level"] == "error" and body["step"] >= 21
    assert nan.at - logged < 10  # the DESIGN's bound, from the first NaN to the POST
    time.sleep(1.0)  # more checks pass while NaN goes on being logged
    run.finish()
    assert webhook.kinds().count("nan") == 1
    kinds = [k for k, _ in _events(run.id)]
    assert kinds.count("alert:nan") == 1  # kept on the run, shown on its page


@pytest.mark.usefixtures("fast_control")
def test_a_hang_fires_per_episode_and_not_while_logging(tb_home: str, webhook: Hook) -> None:
    _add(None, ChannelRecord("webhook", webhook.url + "/hook"))
    run = trainboard.init(project="alerts", name="hung", hang_after=2.0)  # > a step gap under load
    for step in range(1, 40):  # logging steadily for 2 s: never a hang
        run.log({"train/loss": 1.0}, step=step)
        time.sleep(0.05)
    assert "hang" not in webhook.kinds()
    webhook.wait(lambda ps: any(p.json["kind"] == "hang" for p in ps), timeout=30)
    assert "no log() for" in webhook.posts[-1].json["reason"]
    time.sleep(1.0)
    assert webhook.kinds().count("hang") == 1  # one alert for one silence
    run.log({"train/loss": 0.9}, step=40)  # it came back...
    time.sleep(0.5)
    webhook.wait(lambda ps: [p.json["kind"] for p in ps].count("hang") == 2, timeout=30)
    run.finish()  # ...and hung again: a second episode, a second alert


@pytest.mark.usefixtures("fast_control")
def test_a_failed_run_alerts_with_its_error_before_the_process_exits(
    tb_home: str, webhook: Hook, tmp_path: Path
) -> None:
    _add(None, ChannelRecord("webhook", webhook.url + "/hook", events=["failed", "finished"]))
    script = tmp_path / "train.py"
    script.write_text(
        textwrap.dedent(
            """
            import trainboard
            run = trainboard.init(project="alerts", name="boom")
            for step in range(5):
                run.log({"train/loss": 1.0 / (step + 1)}, step=step)
            raise RuntimeError("CUDA out of memory (simulated)")
            """
        )
    )
    done = subprocess.run(
        [sys.executable, str(script)], env=dict(os.environ), capture_output=True, timeout=120
    )
    assert done.returncode == 1
    posts = webhook.wait(lambda ps: bool(ps), timeout=5)  # sent before the process ended
    assert [p.json["kind"] for p in posts] == ["failed"]
    assert "RuntimeError: CUDA out of memory (simulated)" in posts[0].json["reason"]


@pytest.mark.usefixtures("fast_control")
def test_a_threshold_fires_once_and_only_to_its_channel(tb_home: str, webhook: Hook) -> None:
    _add(None, ChannelRecord("webhook", webhook.url + "/rule", rules=["eval/loss < 0.5"]))
    _add(None, ChannelRecord("webhook", webhook.url + "/hook"))
    run = trainboard.init(project="alerts", name="goal")
    for step, v in enumerate([0.9, 0.7, 0.6]):
        run.log({"eval/loss": v}, step=step)
    time.sleep(0.6)
    assert not webhook.posts
    run.log({"eval/loss": 0.45}, step=3)
    webhook.wait(lambda ps: any(p.path == "/rule" for p in ps))
    run.log({"eval/loss": 0.40}, step=4)
    time.sleep(0.6)
    run.finish()
    rule_posts = [p for p in webhook.posts if p.path == "/rule"]
    assert len(rule_posts) == 1 and rule_posts[0].json["kind"] == "threshold"
    assert "eval/loss = 0.45" in rule_posts[0].json["reason"]
    assert "threshold" not in webhook.kinds()  # the other channel has no such rule


@pytest.mark.usefixtures("fast_control")
def test_a_dead_endpoint_is_noted_on_the_run_and_never_raised(
    tb_home: str, webhook: Hook, quick_retries: Deliverer
) -> None:
    webhook.status = 500
    secret = "s3cr3t-token"
    _add(None, ChannelRecord("webhook", webhook.url + "/hook?key=abc", secret=secret))
    run = trainboard.init(project="alerts", name="unlucky")
    run.log({"train/loss": math.inf}, step=1)
    webhook.wait(lambda ps: len(ps) == 3)  # the first try and two retries
    assert webhook.posts[0].headers["Authorization"] == f"Bearer {secret}"
    run.log({"train/loss": 1.0}, step=2)  # training goes on
    assert quick_retries.flush(5)
    run.finish()
    notes = [t for k, t in _events(run.id) if k == "alert_undelivered"]
    assert len(notes) == 1 and "did not reach webhook http://127.0.0.1" in notes[0]
    assert secret not in notes[0] and "key=abc" not in notes[0]


def test_email_and_slack_channels_get_the_alert(tb_home: str, webhook: Hook, smtp: Mailbox) -> None:
    from trainboard.alerts import Alert
    from trainboard.alerts.fire import deliver

    _add(None, ChannelRecord("email", f"oncall@example.com?smtp={smtp.host}:{smtp.port}"))
    _add(None, ChannelRecord("slack", webhook.url + "/slack"))
    _add(None, ChannelRecord("ntfy", webhook.url + "/ntfy"))
    with open_store() as store:
        alert = Alert("abc123", "big-run", "pretrain", "crashed", "no heartbeat", "error", 1200)
        assert deliver(store, alert) == 3
        mail = smtp.wait(1)[0]
    assert mail["To"] == "oncall@example.com"
    assert mail["Subject"] == "trainboard: big-run (pretrain): no heartbeat"
    assert "step: 1200" in mail.get_payload()
    posts = webhook.wait(lambda ps: len(ps) == 2)
    slack = next(p for p in posts if p.path == "/slack")
    assert slack.json == {"text": "trainboard: big-run (pretrain): no heartbeat"}
    ntfy = next(p for p in posts if p.path == "/ntfy")
    assert ntfy.body == b"no heartbeat" and ntfy.headers["Title"] == "trainboard: big-run"


def test_channel_kinds_and_rules_refuse_what_they_cannot_take() -> None:
    assert parse_kinds("nan, hang") == ["nan", "hang"]
    assert "finished" in parse_kinds("all")
    with pytest.raises(UsageError, match="unknown alert kind 'nans'"):
        parse_kinds("nans")
    assert takes([], "crashed") and not takes([], "finished") and takes(["finished"], "finished")
    assert str(parse_rule("eval/loss<=0.5")) == "eval/loss <= 0.5"
    for bad in ("eval/loss = 0.5", "eval/loss < lots", "eval/loss < nan"):
        with pytest.raises(UsageError, match="--when"):
            parse_rule(bad)


@pytest.mark.usefixtures("fast_control")
def test_a_run_well_past_its_estimated_end_fires_eta_overrun(
    tb_home: str, webhook: Hook, monkeypatch: pytest.MonkeyPatch
) -> None:
    from trainboard.sdk import sentinel as sentinel_module

    monkeypatch.setattr(sentinel_module, "OVERRUN_FLOOR", 0.5)  # seconds instead of 30
    monkeypatch.setattr(sentinel_module, "HEALTH_EVERY", 0.2)  # progress read 5x a second
    _add(None, ChannelRecord("webhook", webhook.url + "/hook"))
    run = trainboard.init(project="alerts", name="slowpoke", total_steps=100)
    for step in range(1, 21):  # 20% in 2 s: the estimate says about 8 s more
        run.log({"train/loss": 1.0}, step=step)
        time.sleep(0.1)
    end = time.monotonic() + 60
    while "eta_overrun" not in webhook.kinds() and time.monotonic() < end:
        run.log({"train/loss": 1.0}, step=21)  # then it crawls: still at step 21
        time.sleep(0.05)
    run.finish()
    [overrun] = [p.json for p in webhook.posts if p.json["kind"] == "eta_overrun"]
    assert "past its estimated end" in overrun["reason"]


@pytest.mark.usefixtures("fast_control")
def test_wandb_alert_goes_to_the_channels_too(tb_home: str, webhook: Hook) -> None:
    import trainboard as wandb

    _add(None, ChannelRecord("webhook", webhook.url + "/hook"))
    run = wandb.init(project="alerts", name="scripted")
    run.log({"train/loss": 3.0}, step=1)
    wandb.alert(title="Loss high", text="3.0 at step 1", level=wandb.AlertLevel.WARN)
    [post] = webhook.wait(lambda ps: bool(ps))
    run.finish()
    assert post.json["kind"] == "wandb" and post.json["reason"] == "Loss high: 3.0 at step 1"
    assert post.json["level"] == "warn" and post.json["run"]["name"] == "scripted"
