"""The terminal rendering of a run's progress and health, used by `watch`, `show` and the
demo. Numbers come from trainboard.analysis; this module only lays them out."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

from trainboard.analysis import format as fmt
from trainboard.analysis.card import Card, card_texts
from trainboard.analysis.health import Health
from trainboard.analysis.progress import Progress
from trainboard.store.records import RunRecord

STATUS_STYLE = {
    "running": "bold cyan",
    "finished": "bold green",
    "failed": "bold red",
    "killed": "bold yellow",
    "pruned": "dim",
    "crashed": "bold magenta",
    "stopped": "bold yellow",
}
VERDICT_STYLE = {"healthy": "bold green", "warning": "bold yellow", "critical": "bold red"}


def status_text(status: str) -> Text:
    return Text(status, style=STATUS_STYLE.get(status, "bold"))


def step_text(p: Progress) -> str:
    if p.step is None:
        return "no steps yet"
    if p.total_steps:
        return f"step {p.step:,} / {p.total_steps:,}  {fmt.percent(p.percent)}"
    return f"step {p.step:,}"


def _card_rows(card: Card) -> list[tuple[str, str, str, str]]:
    """The fuller card's lines (trainboard.analysis.card), two to a row."""
    cells = card_texts(card)
    if len(cells) % 2:
        cells.append(("", ""))
    return [(*cells[i], *cells[i + 1]) for i in range(0, len(cells), 2)]


def progress_panel(run: RunRecord, p: Progress, card: Card | None = None) -> Panel:
    """The progress card: bar, step / total, %, and the numbers beside it."""
    done = p.status != "running"
    bar = ProgressBar(
        total=float(p.total_steps) if p.total_steps else None,
        completed=float(p.step or 0),
        width=48,
        pulse=not p.total_steps and not done,
        complete_style="green" if p.status == "finished" else "cyan",
        finished_style="green",
    )
    head = Table.grid(padding=(0, 2))
    head.add_row(bar, Text(step_text(p), style="bold"))

    grid = Table.grid(padding=(0, 3))
    for _ in range(4):
        grid.add_column()
    tokens = "—" if p.tokens is None else f"{fmt.integer(p.tokens)} ({fmt.millions(p.tokens)})"
    loss_label = f"loss ({p.loss_key})" if p.loss_key else "loss"
    rows = [
        ("elapsed", fmt.duration(p.elapsed_s), "ETA", fmt.eta(p.eta_s)),
        ("steps/s", fmt.rate(p.steps_per_s), "tokens/s", fmt.rate(p.tokens_per_s)),
        ("tokens", tokens, "batches", fmt.integer(p.batches)),
        (loss_label, fmt.number(p.loss), "grad norm", fmt.number(p.grad_norm)),
    ]
    for a, b, c, d in rows:
        grid.add_row(Text(a, style="dim"), Text(b), Text(c, style="dim"), Text(d))
    grid.add_row(
        Text("epoch", style="dim"),
        Text(fmt.number(p.epoch, 3)),
        Text("status", style="dim"),
        status_text(p.status),
    )
    for a, b, c, d in _card_rows(card) if card else []:
        grid.add_row(Text(a, style="dim"), Text(b), Text(c, style="dim"), Text(d))
    title = Text.assemble((run.name, "bold"), "  ", (run.id, "dim"))
    if run.model:
        title.append(f"  {run.model}", style="dim")
    return Panel(Group(head, Text(""), grid), title=title, title_align="left", expand=False)


def health_panel(h: Health) -> Panel:
    body = Table.grid(padding=(0, 1))
    body.add_row(Text(h.summary, style=VERDICT_STYLE[h.verdict]))
    for f in h.findings:
        body.add_row(
            Text.assemble(
                (f"{f.severity}: ", VERDICT_STYLE[f.severity]), (f.check, "bold"), f"  {f.saw}"
            )
        )
        body.add_row(Text(f"  try: {f.try_}", style="dim"))
    return Panel(body, title="health", title_align="left", expand=False)


def watch_frame(run: RunRecord, p: Progress, card: Card | None = None) -> RenderableType:
    return progress_panel(run, p, card)
