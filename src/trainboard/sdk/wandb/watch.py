"""`wandb.watch(model, log="gradients"|"parameters"|"all", log_freq=N)` on torch models.

Every `log_freq`-th forward pass of a watched model marks a logging step. Its parameters'
histograms ("parameters/<name>") are logged at that forward; during the backward pass that
follows, each parameter's gradient histogram ("gradients/<name>") is logged from a tensor
hook, and the squares of their norms are summed, so that the next forward (or finish())
logs the total L2 norm of the gradients as "gradients/grad_norm" (the grad norm role).

All of it runs in the training thread only on logging steps; other steps cost one counter
increment per forward and one flag check per parameter per backward.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from trainboard.errors import UsageError

if TYPE_CHECKING:
    from trainboard.sdk.surface import RunSurface


_LOGS = ("gradients", "parameters", "all", None)
GRAD_NORM_KEY = "gradients/grad_norm"


class _Watch:
    """The hooks and counters of one watched model."""

    def __init__(self, run: RunSurface, model: Any, log: str | None, log_freq: int, prefix: str):
        self.run = run
        self.model = model
        self.grads = log in ("gradients", "all")
        self.params = log in ("parameters", "all")
        self.log_freq = log_freq
        self.prefix = prefix
        self.calls = 0
        self.active = False  # this iteration logs
        self.sq_norm = 0.0
        self.seen = 0  # gradients seen in the active backward
        self.step = 0
        self.handles: list[Any] = [model.register_forward_pre_hook(self._forward)]
        if self.grads:
            for name, p in model.named_parameters():
                if p.requires_grad:
                    self.handles.append(p.register_hook(self._grad_hook(name)))

    def _forward(self, module: Any, args: Any) -> None:
        if self.run.finished:
            self.remove()
            return
        if not module.training:
            return  # eval passes do not count (no backward follows them)
        self.flush_norm()
        self.calls += 1
        self.active = self.calls % self.log_freq == 0
        if not self.active:
            return
        self.step = max(self.run.step, 0)
        if self.params:
            for name, p in self.model.named_parameters():
                self.run.log_histogram(f"parameters/{self.prefix}{name}", p.detach(), self.step)

    def _grad_hook(self, name: str) -> Any:
        def hook(grad: Any) -> None:
            if not self.active or self.run.finished:
                return
            g = grad.detach()
            self.run.log_histogram(f"gradients/{self.prefix}{name}", g, self.step)
            self.sq_norm += float(g.float().norm()) ** 2
            self.seen += 1

        return hook

    def flush_norm(self) -> None:
        """Log the grad norm of the last logging backward, if one ran."""
        if self.seen and not self.run.finished:
            # beside the loop's own log() calls: its step counting is left as it is
            self.run.state.put_points(self.step, {GRAD_NORM_KEY: math.sqrt(self.sq_norm)})
        self.sq_norm, self.seen = 0.0, 0

    def remove(self) -> None:
        for h in self.handles:
            h.remove()
        self.handles = []


def watch(
    run: RunSurface, models: Any, log: str | None = "gradients", log_freq: int = 1000
) -> None:
    """Watch one torch module or a list/tuple of them (see the module docstring)."""
    if log not in _LOGS:
        raise UsageError(f"watch(): log must be gradients, parameters, all or None, got {log!r}")
    if isinstance(log_freq, bool) or not isinstance(log_freq, int) or log_freq <= 0:
        raise UsageError(f"watch(): log_freq must be a positive int, got {log_freq!r}")
    many = models if isinstance(models, list | tuple) else [models]
    for m in many:
        if not (hasattr(m, "register_forward_pre_hook") and hasattr(m, "named_parameters")):
            raise UsageError(f"watch(): expected a torch.nn.Module, got {type(m).__name__}")
    watches = run.state.wandb_state().watches
    if log is None:
        return
    for i, m in enumerate(many):
        prefix = f"graph_{i}/" if len(many) > 1 else ""
        watches.append(_Watch(run, m, log, log_freq, prefix))


def unwatch(run: RunSurface, models: Any = None) -> None:
    """Stop watching `models` (all watched models when None)."""
    many = None if models is None else (models if isinstance(models, list | tuple) else [models])
    keep = []
    state = run.state.wandb_state()
    for w in state.watches:
        if many is None or any(w.model is m for m in many):
            w.flush_norm()
            w.remove()
        else:
            keep.append(w)
    state.watches = keep
