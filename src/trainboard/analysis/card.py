"""The fuller progress card: what people ask for after the bar and the ETA.

- GPU utilisation and memory, from the system metrics the SDK logs (`sys/gpu{i}/util`,
  `sys/gpu{i}/mem_used_gb`, `sys/gpu{i}/mem_percent`): the mean utilisation over the GPUs and
  the memory of the fullest one, as last logged. A multi-process job (sdk/ranks.py) reports
  each rank's own GPU (`sys/rank{r}/gpu/util`...), on every node: when those are there they
  are the run's GPUs (one per rank), since rank 0's `sys/gpu{i}/*` see its node only.
- A loss trend: the train loss's median over the newest fifth of its points against the fifth
  before it; "improving" or "worsening" past 1 %, "flat" within. The numbers go in a tooltip.
  The card tells one story with the health verdict (which it carries, for views that show no
  health panel): when health finds the loss exploding the trend is "worsening", when it finds
  NaN/inf the trend is "not_finite" (the finite points may well still fall: "worsening" would
  read as "the loss rose"), when it finds the loss not falling the trend is "flat", whatever
  the last two fifths say. A diverging run that eases off a peak is not "improving". Its label
  ("↓ improving") is worded here too, for every view.
- Checkpoint marks: the run's checkpoint artifacts, placed on the progress bar by step.
- An estimated cost: hours × a price per hour, so far and at the ETA. The price comes from the
  run's config (`price_per_hour`, `cost_per_hour` or `gpu_price_per_hour`, at any depth) or the
  TRAINBOARD_PRICE_PER_HOUR setting.

Computed here once, for the Run page (GET /runs/{id}/card), `trainboard watch` and the
notebook display alike.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np

from trainboard import roles
from trainboard.analysis import format as fmt
from trainboard.analysis.health import Health, health_for
from trainboard.analysis.progress import Progress
from trainboard.jsonvalues import spell_all
from trainboard.store.base import Store
from trainboard.store.records import RunRecord

__all__ = ["Card", "Checkpoint", "PRICE_ENV", "card_for", "price_per_hour"]

Trend = Literal["improving", "flat", "worsening", "not_finite"]
PRICE_ENV = "TRAINBOARD_PRICE_PER_HOUR"
PRICE_KEYS = ("price_per_hour", "cost_per_hour", "gpu_price_per_hour")
FLAT_PCT = 1.0  # a change within ±1 % of the loss is "flat"
TREND_POINTS = 2000  # points of the loss read for the trend (downsampled, min/max kept)
_GPU = re.compile(r"^sys/gpu(\d+)/(util|mem_used_gb|mem_percent)$")
_RANK_GPU = re.compile(r"^sys/rank(\d+)/gpu/(util|mem_used_gb|mem_percent)$")


@dataclass
class Checkpoint:
    step: int
    percent: float | None  # where on the bar (None without total steps)
    name: str


@dataclass
class Card:
    gpu_util_pct: float | None = None
    gpu_mem_gb: float | None = None
    gpu_mem_pct: float | None = None
    gpus: int = 0
    trend: Trend | None = None
    trend_key: str | None = None
    trend_label: str = ""  # what every view shows: TREND_TEXT[trend]
    trend_text: str = ""  # the tooltip: both medians, the change, the window
    verdict: str | None = None  # the health verdict (analysis.health), told with the trend
    verdict_text: str = ""  # its summary line
    checkpoints: list[Checkpoint] = field(default_factory=list)
    price_per_hour: float | None = None
    cost_so_far: float | None = None
    cost_at_eta: float | None = None
    cost_text: str = ""

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = spell_all(asdict(self))
        return out


def price_per_hour(run: RunRecord) -> float | None:
    """The run's price per hour: from its config (any depth), else the setting, else None."""

    def find(obj: Any) -> float | None:
        if isinstance(obj, dict):
            for k in PRICE_KEYS:
                v = obj.get(k)
                if isinstance(v, int | float) and not isinstance(v, bool) and v >= 0:
                    return float(v)
            for v in obj.values():
                got = find(v)
                if got is not None:
                    return got
        return None

    found = find(run.config)
    if found is not None:
        return found
    env = os.environ.get(PRICE_ENV, "").strip()
    if not env:
        return None
    try:
        value = float(env)
    except ValueError:
        raise ValueError(f"{PRICE_ENV} must be a number (a price per hour), got {env!r}") from None
    return value if value >= 0 and math.isfinite(value) else None


def gpu_keys(summary: Mapping[str, Any]) -> dict[str, tuple[str, str]]:
    """The run's GPU keys -> (which GPU, "util" | "mem_used_gb" | "mem_percent"): each rank's
    own GPU (`sys/rank{r}/gpu/*`) when there are any, else rank 0's node's `sys/gpu{i}/*`.
    The one rule for which keys are the run's GPUs: the card and Compare's speed section."""
    pattern = _RANK_GPU if any(_RANK_GPU.match(k) for k in summary) else _GPU
    found = {}
    for key in summary:
        m = pattern.match(key)
        if m:
            found[key] = (m.group(1), m.group(2))
    return found


def _gpu(card: Card, run: RunRecord) -> None:
    utils: list[float] = []
    mem_gb: list[float] = []
    mem_pct: list[float] = []
    gpus: set[str] = set()
    for key, (gpu, what) in gpu_keys(run.summary).items():
        s = run.summary[key]
        if not math.isfinite(s.last):
            continue
        gpus.add(gpu)
        {"util": utils, "mem_used_gb": mem_gb, "mem_percent": mem_pct}[what].append(s.last)
    card.gpus = len(gpus)
    card.gpu_util_pct = sum(utils) / len(utils) if utils else None
    card.gpu_mem_gb = max(mem_gb) if mem_gb else None
    card.gpu_mem_pct = max(mem_pct) if mem_pct else None


def _trend(card: Card, store: Store, run: RunRecord) -> None:
    key = roles.train_loss_key(run.summary, run.goals)
    if key is None:
        return
    s = store.read_series(run.id, key, max_points=TREND_POINTS)
    values = s.values[np.isfinite(s.values)]
    steps = s.steps[np.isfinite(s.values)]
    n = values.shape[0] // 5
    if n < 3:
        return
    before = float(np.median(values[-2 * n : -n]))
    recent = float(np.median(values[-n:]))
    change = (recent - before) / abs(before) * 100 if before else 0.0
    better = change < 0 if roles.goal_of(key, run.goals) != "max" else change > 0
    card.trend_key = key
    card.trend = "flat" if abs(change) <= FLAT_PCT else ("improving" if better else "worsening")
    card.trend_text = (
        f"{key}: median {fmt.number(recent)} over steps {int(steps[-n])}–{int(steps[-1])}, "
        f"{fmt.number(before)} over steps {int(steps[-2 * n])}–{int(steps[-n - 1])} "
        f"({change:+.1f}%)"
    )


def _checkpoints(card: Card, store: Store, run: RunRecord, total: int | None) -> None:
    for a in store.list_artifacts(run.id):
        if a.kind != "checkpoint" or a.step is None:
            continue
        pct = min(100.0, max(0.0, a.step / total * 100)) if total else None
        card.checkpoints.append(Checkpoint(int(a.step), pct, a.name))
    card.checkpoints.sort(key=lambda c: c.step)


def _cost(card: Card, run: RunRecord, p: Progress) -> None:
    price = price_per_hour(run)
    if price is None:
        return
    card.price_per_hour = price
    card.cost_so_far = price * p.elapsed_s / 3600
    if p.eta_s is not None and math.isfinite(p.eta_s):
        card.cost_at_eta = price * (p.elapsed_s + p.eta_s) / 3600
    at_eta = f", {_money(card.cost_at_eta)} at the ETA" if card.cost_at_eta is not None else ""
    card.cost_text = f"{_money(card.cost_so_far)} so far{at_eta} ({_money(price)}/h)"


def _money(v: float | None) -> str:
    if v is None:
        return "—"
    return f"{v:,.2f}" if v < 1000 else f"{v:,.0f}"


# a health finding about the loss decides the trend: the card never says "improving" beside it
LOSS_FINDING_TREND: dict[str, Trend] = {
    "loss_nan": "not_finite",
    "loss_exploding": "worsening",
    "loss_not_falling": "flat",
}


def _agree(card: Card, health: Health) -> None:
    card.verdict, card.verdict_text = health.verdict, health.summary
    for f in health.findings:
        trend = LOSS_FINDING_TREND.get(f.check)
        if trend is not None and card.trend_key is not None:
            card.trend = trend
            card.trend_text = f"{f.severity}: {f.saw}"
            return


TREND_TEXT: dict[Trend, str] = {
    "improving": "↓ improving",
    "flat": "→ flat",
    "worsening": "↑ worsening",
    "not_finite": "✕ NaN/inf",
}


def card_texts(card: Card) -> list[tuple[str, str]]:
    """(label, text) for each part of the card the run has, as `watch` and the notebook show
    them (the Run page gets the same numbers as JSON): one wording for every view."""
    cells: list[tuple[str, str]] = []
    if card.verdict_text:
        cells.append(("health", card.verdict_text))
    if card.gpu_util_pct is not None or card.gpu_mem_gb is not None:
        mem = "—" if card.gpu_mem_gb is None else f"{card.gpu_mem_gb:.1f} GB"
        if card.gpu_mem_pct is not None:
            mem += f" ({card.gpu_mem_pct:.0f}%)"
        util = "—" if card.gpu_util_pct is None else f"{card.gpu_util_pct:.0f}%"
        cells += [("GPU util", util), ("GPU memory", mem)]
    if card.trend is not None:
        cells.append(("loss trend", card.trend_label))
    if card.checkpoints:
        cells.append(("checkpoints", ", ".join(str(c.step) for c in card.checkpoints[-4:])))
    if card.cost_text:
        cells.append(("cost", card.cost_text))
    return cells


def card_for(
    store: Store, run: RunRecord, progress: Progress, health: Health | None = None
) -> Card:
    """The card of a stored run, beside its `progress` (trainboard.analysis.progress) and its
    `health` (read here when not given)."""
    card = Card()
    _gpu(card, run)
    _trend(card, store, run)
    _agree(card, health if health is not None else health_for(store, run))
    if card.trend is not None:
        card.trend_label = TREND_TEXT[card.trend]
    _checkpoints(card, store, run, progress.total_steps or run.total_steps)
    _cost(card, run, progress)
    return card
