"""Static HTML for notebook outputs: the progress card, the loss curves, a comparison table.

Everything here is plain HTML with inline SVG and inline styles: no script, no external file,
so a saved notebook shows exactly what the last update drew when it is opened again (in
Jupyter, in VS Code, on GitHub, in nbviewer). The numbers come from trainboard.analysis
(Progress, Comparison); this module only lays them out.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

from trainboard import roles
from trainboard.analysis import format as fmt
from trainboard.analysis.colors import STATUS_COLOURS, UNKNOWN_COLOUR

if TYPE_CHECKING:
    from trainboard.analysis.card import Card
    from trainboard.analysis.compare import Comparison
    from trainboard.analysis.progress import Progress
    from trainboard.store.records import RunRecord, Series

__all__ = ["card_html", "comparison_html", "curves_svg", "run_html"]

TRAIN_COLOUR, EVAL_COLOUR = "#1f6fd1", "#d9480f"
_BOX = (
    "font-family:system-ui,-apple-system,Segoe UI,sans-serif;font-size:13px;color:#1b1f24;"
    "border:1px solid #d0d7de;border-radius:6px;padding:10px 12px;max-width:640px;"
    "background:#fff"
)


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _extras_html(card: Card | None) -> tuple[str, str]:
    """The fuller card (GPU, loss trend with its numbers as a tooltip, checkpoints, cost):
    checkpoint ticks for the bar, and a line of the card's texts."""
    if card is None:
        return "", ""
    from trainboard.analysis.card import card_texts

    ticks = "".join(
        f'<div class="trainboard-checkpoint" title="checkpoint {_e(c.name)} at step {c.step}" '
        f'style="position:absolute;left:{c.percent:.1f}%;top:-2px;width:2px;height:14px;'
        f'background:#1b1f24"></div>'
        for c in card.checkpoints
        if c.percent is not None
    )
    parts = []
    for label, text in card_texts(card):
        tip = f' title="{_e(card.trend_text)}"' if label == "loss trend" and card.trend_text else ""
        parts.append(f"<span{tip}>{_e(label)} {_e(text)}</span>")
    line = (
        f'<div class="trainboard-extras" style="color:#57606a;margin-top:4px">'
        f"{' · '.join(parts)}</div>"
        if parts
        else ""
    )
    return ticks, line


def card_html(p: Progress, record: RunRecord, card: Card | None = None) -> str:
    """The progress card: name and status, the bar, step/total and %, elapsed and ETA,
    steps/s, tokens/s and tokens, the current loss (unknown parts left out), and the fuller
    card's GPU, loss trend, checkpoint marks and cost when the run has them."""
    colour = STATUS_COLOURS.get(p.status, UNKNOWN_COLOUR)
    pct = p.percent if p.percent is not None else 0.0
    step = fmt.integer(p.step) if p.step is not None else "0"
    where = f"step {step} / {fmt.integer(p.total_steps)}" if p.total_steps else f"step {step}"
    stats = [where]
    if p.percent is not None:
        stats.append(fmt.percent(p.percent))
    stats.append(f"elapsed {p.elapsed_text}")
    if p.total_steps:
        stats.append(f"ETA {p.eta_text}")
    if p.steps_per_s is not None:
        stats.append(fmt.rate(p.steps_per_s, "steps"))
    if p.tokens_per_s is not None:
        stats.append(fmt.rate(p.tokens_per_s, "tok"))
    if p.tokens is not None:
        stats.append(f"{p.tokens_text} tokens")
    if p.loss is not None:
        stats.append(f"{_e(p.loss_key or 'loss')} {fmt.number(p.loss)}")
    if p.grad_norm is not None:
        stats.append(f"grad norm {fmt.number(p.grad_norm)}")
    model = f" · {_e(record.model)}" if record.model else ""
    bar_colour = colour if p.status != "running" else "#1f6fd1"
    ticks, extras = _extras_html(card)
    return (
        f'<div class="trainboard-card" data-run="{_e(record.id)}" data-status="{_e(p.status)}">'
        f'<div style="display:flex;justify-content:space-between;align-items:baseline">'
        f"<b>{_e(record.name)}</b>"
        f'<span style="color:#57606a">{_e(record.project)}{model} · {_e(record.id)}</span>'
        f'<span style="color:{colour};border:1px solid {colour};border-radius:10px;'
        f'padding:0 8px">{_e(p.status)}</span></div>'
        f'<div style="position:relative;background:#eaeef2;border-radius:4px;height:10px;'
        f'margin:8px 0">'
        f'<div class="trainboard-bar" style="width:{pct:.1f}%;background:{bar_colour};'
        f'height:10px;border-radius:4px"></div>{ticks}</div>'
        f'<div class="trainboard-stats" style="color:#1b1f24">{" · ".join(stats)}</div>'
        f"{extras}</div>"
    )


def _points(series: Series | None) -> list[tuple[float, float]]:
    if series is None:
        return []
    return [
        (float(s), float(v))
        for s, v in zip(series.steps.tolist(), series.values.tolist(), strict=True)
        if math.isfinite(v)
    ]


def curves_svg(
    train: Series | None,
    evals: Series | None,
    best: tuple[int, float] | None,
    *,
    width: int = 616,
    height: int = 190,
) -> str:
    """Train (line) and eval (line with dots) loss against step; `best` (step, value) is the
    best eval point, ringed and labelled. Non-finite values are left out of the lines."""
    tr, ev = _points(train), _points(evals)
    pts = tr + ev
    if not pts:
        return ""
    left, right, top, bottom = 52, 10, 12, 24
    xs = [p[0] for p in pts]
    ys = [p[1] for p in pts]
    x0, x1 = min(xs), max(xs)
    y0, y1 = min(ys), max(ys)
    if x1 == x0:
        x1 = x0 + 1
    if y1 == y0:
        y0, y1 = y0 - 0.5, y1 + 0.5
    w, h = width - left - right, height - top - bottom

    def sx(x: float) -> float:
        return left + (x - x0) / (x1 - x0) * w

    def sy(y: float) -> float:
        return top + (y1 - y) / (y1 - y0) * h

    def line(p: Sequence[tuple[float, float]], colour: str) -> str:
        path = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in p)
        return (
            f'<polyline fill="none" stroke="{colour}" stroke-width="1.6" points="{path}"/>'
            if len(p) > 1
            else ""
        )

    parts = [
        f'<svg class="trainboard-curves" xmlns="http://www.w3.org/2000/svg" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" style="font:11px sans-serif">',
        f'<rect x="{left}" y="{top}" width="{w}" height="{h}" fill="none" stroke="#d0d7de"/>',
        f'<text x="{left - 4}" y="{top + 8}" text-anchor="end">{fmt.number(y1)}</text>',
        f'<text x="{left - 4}" y="{top + h}" text-anchor="end">{fmt.number(y0)}</text>',
        f'<text x="{left}" y="{height - 8}">{fmt.integer(x0)}</text>',
        f'<text x="{left + w}" y="{height - 8}" text-anchor="end">step {fmt.integer(x1)}</text>',
        line(tr, TRAIN_COLOUR),
        line(ev, EVAL_COLOUR),
    ]
    parts += [
        f'<circle cx="{sx(x):.1f}" cy="{sy(y):.1f}" r="2.5" fill="{EVAL_COLOUR}"/>' for x, y in ev
    ]
    legend = [f'<tspan fill="{TRAIN_COLOUR}">— {_e(train.key)}</tspan>'] if train and tr else []
    if evals is not None and ev:
        legend.append(f'<tspan fill="{EVAL_COLOUR}" dx="10">●— {_e(evals.key)}</tspan>')
    if best is not None:
        bx, by = sx(best[0]), sy(best[1])
        label = f"best eval {fmt.number(best[1])} @ step {fmt.integer(best[0])}"
        anchor = "end" if bx > left + w / 2 else "start"
        dx = -8 if anchor == "end" else 8
        parts.append(
            f'<circle class="trainboard-best" cx="{bx:.1f}" cy="{by:.1f}" r="6" fill="none" '
            f'stroke="#1a7f46" stroke-width="2"/>'
            f'<text x="{bx + dx:.1f}" y="{by - 8:.1f}" text-anchor="{anchor}" '
            f'fill="#1a7f46">{label}</text>'
        )
    parts.append(f'<text x="{left + 6}" y="{top + 14}">{"".join(legend)}</text></svg>')
    return "".join(parts)


def best_eval(record: RunRecord, key: str | None) -> tuple[int, float] | None:
    """(step, value) of the eval loss's best point, as the store's summary keeps it."""
    if key is None or key not in record.summary:
        return None
    m = record.summary[key]
    goal = roles.goal_of(key, record.goals) or "min"
    step, value = (m.max_step, m.max) if goal == "max" else (m.min_step, m.min)
    return (step, value) if math.isfinite(value) else None


def run_html(
    p: Progress,
    record: RunRecord,
    train: Series | None,
    evals: Series | None,
    card: Card | None = None,
) -> str:
    """The card and the curves in one box: what a run shows under its cell."""
    best = best_eval(record, evals.key if evals is not None else None)
    inner = card_html(p, record, card) + curves_svg(train, evals, best)
    return f'<div style="{_BOX}">{inner}</div>'


def comparison_html(c: Comparison) -> str:
    """Which run won, and the ranking on the deciding metric (best first)."""
    rows = []
    for r in c.runs:
        mark = "🏆 " if r.trophy else ""
        value = fmt.number(r.best_value) if r.best_value is not None else "—"
        delta = "best" if r.rank == 1 else (fmt.percent(r.delta_pct) if r.delta_pct else "—")
        colour = STATUS_COLOURS.get(r.status, UNKNOWN_COLOUR)
        rows.append(
            f"<tr><td>{r.rank or '—'}</td><td>{mark}{_e(r.name)}</td>"
            f'<td style="color:{colour}">{_e(r.status)}</td><td>{value}</td>'
            f"<td>{_e(delta)}</td><td>{_e(r.best_at)}</td></tr>"
        )
    head = (
        "<tr><th>#</th><th>run</th><th>status</th>"
        f"<th>best {_e(c.metric or '—')} ({_e(c.goal)})</th><th>vs best</th><th>at</th></tr>"
    )
    return (
        f'<div class="trainboard-compare" style="{_BOX}"><div>{_e(c.recommendation.text)}</div>'
        f'<table style="border-collapse:collapse;margin-top:6px">{head}{"".join(rows)}</table>'
        "</div>"
    )
