"""The demo's training loop: what a real script logs to trainboard, on a model small enough
to train on a laptop CPU in about two minutes.

Logged: train/loss every step; lr (linear warm-up, then cosine decay); grad_norm (the norm
before clip_grad_norm_ clips it to 1.0); tokens (cumulative), tokens_per_s and epoch;
val/loss and val/accuracy every `eval_every` steps; a generated text sample every
`sample_every` steps; weight and gradient histograms every `hist_every` steps."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import trainboard


@dataclass
class DemoConfig:
    steps: int | None = None  # None: as many as fit in `target_s` on this machine
    target_s: float = 120.0  # the demo's length when steps is None
    batch_size: int = 16
    block_size: int = 64
    n_layer: int = 2
    n_head: int = 4
    n_embd: int = 96
    lr: float = 3e-3
    min_lr: float = 3e-4
    warmup_steps: int = 100
    max_grad_norm: float = 1.0
    eval_every: int = 100
    eval_batches: int = 8
    sample_every: int = 250
    sample_chars: int = 160
    hist_every: int = 200
    max_chars: int = 3_000_000
    seed: int = 1337

    def scaled(self, steps: int) -> DemoConfig:
        """This config for `steps` steps, with warm-up, eval, sample and histogram intervals
        in proportion (a 20-step test still warms up, evaluates and samples)."""
        c = DemoConfig(**asdict(self))
        c.steps = steps
        if steps < 200:
            c.warmup_steps = max(1, steps // 10)
            c.eval_every = max(1, steps // 4)
            c.sample_every = max(1, steps // 2)
            c.hist_every = max(1, steps // 2)
            c.sample_chars = 60
            c.max_chars = 300_000
        else:
            c.warmup_steps = steps // 20
            c.eval_every = steps // 20
            c.sample_every = steps // 8
            c.hist_every = steps // 10
        return c


def lr_at(step: int, c: DemoConfig) -> float:
    """Linear warm-up to `lr`, then cosine decay to `min_lr` at the last step."""
    total = c.steps or 1
    if step < c.warmup_steps:
        return c.lr * (step + 1) / c.warmup_steps
    frac = (step - c.warmup_steps) / max(1, total - c.warmup_steps)
    return c.min_lr + 0.5 * (c.lr - c.min_lr) * (1 + math.cos(math.pi * min(frac, 1.0)))


def train(
    c: DemoConfig,
    *,
    project: str = "demo",
    name: str | None = None,
    on_start: Callable[[trainboard.Run], None] | None = None,
    store: str | None = None,
) -> str:
    """Train the demo model, logging to a new run; return the run id."""
    import torch
    from torch.nn import functional as F

    from trainboard.demo.data import Vocab, stdlib_text
    from trainboard.demo.model import GPT, GPTConfig

    text = stdlib_text(c.max_chars if c.steps is None else c.scaled(c.steps).max_chars)
    vocab = Vocab.of(text)
    data = torch.tensor(vocab.encode(text), dtype=torch.long)
    split = int(len(data) * 0.9)
    train_data, val_data = data[:split], data[split:]
    gen = torch.Generator().manual_seed(c.seed)

    def batch(src: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        ix = torch.randint(len(src) - c.block_size - 1, (c.batch_size,), generator=gen)
        x = torch.stack([src[i : i + c.block_size] for i in ix.tolist()])
        y = torch.stack([src[i + 1 : i + 1 + c.block_size] for i in ix.tolist()])
        return x, y

    def fresh() -> Any:
        torch.manual_seed(c.seed)
        return GPT(GPTConfig(len(vocab), c.block_size, c.n_layer, c.n_head, c.n_embd))

    if c.steps is None:
        c = c.scaled(_calibrate(fresh(), batch, train_data, c.target_s))
    else:
        c = c.scaled(c.steps)
    assert c.steps is not None
    model = fresh()
    opt = torch.optim.AdamW(model.parameters(), lr=c.lr, weight_decay=0.01, betas=(0.9, 0.95))
    n_params = sum(p.numel() for p in model.parameters())
    config: dict[str, Any] = {
        **asdict(c),
        "vocab_size": len(vocab),
        "params": n_params,
        "train_chars": len(train_data),
        "optimizer": "AdamW",
        "dataset": "python stdlib source",
    }
    run = trainboard.init(
        project=project,
        name=name or f"char-gpt-{c.n_layer}x{c.n_embd}",
        model="char-gpt",
        config=config,
        total_steps=c.steps,
        tags=["demo"],
        store=store,
        progress=False,  # the demo's terminal shows its own progress card
    )
    if on_start is not None:
        on_start(run)
    tokens_per_step = c.batch_size * c.block_size
    prompt = torch.tensor([vocab.encode("def ")], dtype=torch.long)
    with run:
        tokens = 0
        for step in range(1, c.steps + 1):
            t0 = time.perf_counter()
            lr = lr_at(step - 1, c)
            for group in opt.param_groups:
                group["lr"] = lr
            model.train()
            x, y = batch(train_data)
            logits = model(x)
            loss = F.cross_entropy(logits.view(-1, logits.size(-1)), y.view(-1))
            opt.zero_grad(set_to_none=True)
            loss.backward()  # type: ignore[no-untyped-call]
            grad_norm = float(torch.nn.utils.clip_grad_norm_(model.parameters(), c.max_grad_norm))
            if step % c.hist_every == 0 or step == c.steps:
                _histograms(run, model, step)
            opt.step()
            tokens += tokens_per_step
            dt = time.perf_counter() - t0
            run.log(
                {
                    "train/loss": loss.item(),
                    "lr": lr,
                    "grad_norm": grad_norm,
                    "tokens": tokens,
                    "tokens_per_s": tokens_per_step / dt if dt > 0 else 0.0,
                    "epoch": tokens / len(train_data),
                },
                step=step,
            )
            if step % c.eval_every == 0 or step == c.steps:
                val_loss, val_acc = _evaluate(model, batch, val_data, c.eval_batches)
                run.log({"val/loss": val_loss, "val/accuracy": val_acc}, step=step)
            if step % c.sample_every == 0 or step == c.steps:
                model.eval()
                out = model.generate(prompt, c.sample_chars)
                run.log_text("samples", vocab.decode(out[0].tolist()), step=step)
    return run.id


def _calibrate(model: Any, batch: Any, train_data: Any, target_s: float) -> int:
    """How many steps fit in `target_s` here: time a few throwaway steps (after one warm-up)
    and leave ~15% for evals, samples and histograms. Between 200 and 5,000."""
    import torch
    from torch.nn import functional as F

    opt = torch.optim.AdamW(model.parameters())
    times = []
    for i in range(6):
        t0 = time.perf_counter()
        x, y = batch(train_data)
        logits = model(x)
        loss = F.cross_entropy(logits.view(-1, logits.size(-1)), y.view(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()  # type: ignore[no-untyped-call]
        opt.step()
        if i:
            times.append(time.perf_counter() - t0)
    step_s = sorted(times)[len(times) // 2]
    return int(min(5000, max(200, target_s / (step_s * 1.15))))


def _evaluate(model: Any, batch: Any, val_data: Any, n: int) -> tuple[float, float]:
    import torch
    from torch.nn import functional as F

    model.eval()
    losses, correct, total = [], 0, 0
    with torch.no_grad():
        for _ in range(n):
            x, y = batch(val_data)
            logits = model(x)
            losses.append(float(F.cross_entropy(logits.view(-1, logits.size(-1)), y.view(-1))))
            correct += int((logits.argmax(-1) == y).sum())
            total += y.numel()
    return sum(losses) / len(losses), correct / total


def _histograms(run: trainboard.Run, model: Any, step: int) -> None:
    """Weights and gradients of a few layers: the embedding, the first attention, the MLP."""
    picks = {
        "tok.weight": "embedding",
        "blocks.0.qkv.weight": "block0.attn",
        "blocks.0.mlp.0.weight": "block0.mlp",
    }
    params = dict(model.named_parameters())
    for pname, label in picks.items():
        p = params.get(pname)
        if p is None:
            continue
        run.log_histogram(f"weights/{label}", p.detach().flatten(), step=step)
        if p.grad is not None:
            run.log_histogram(f"gradients/{label}", p.grad.detach().flatten(), step=step)
