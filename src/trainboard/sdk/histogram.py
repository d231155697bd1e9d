"""log_histogram(): values (a list, a numpy array or a torch tensor) -> a 64-bin histogram.

torch is imported only when the value is a tensor, so `import trainboard` stays light.
Non-finite values are left out of the bins (a histogram cannot place them) but counted in
`count`, so a diverging tensor shows as counts that do not add up.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from trainboard.store.records import HistogramRecord

BINS = 64


def _to_numpy(key: str, values: Any) -> Any:
    import numpy as np

    module = type(values).__module__ or ""
    if module.startswith("torch"):
        import torch

        if isinstance(values, torch.Tensor):
            values = values.detach().to("cpu", torch.float64).numpy()
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(
            f"log_histogram(): {key!r} must be a list of numbers, a numpy array or a torch "
            f"tensor, got {type(values).__name__}"
        ) from None
    return arr.ravel()


def histogram(key: str, values: Any, step: int, wall_time: float) -> HistogramRecord:
    import numpy as np

    from trainboard.store.records import HistogramRecord

    arr = _to_numpy(key, values)
    if arr.size == 0:
        raise ValueError(f"log_histogram(): {key!r} has no values")
    finite = arr[np.isfinite(arr)]
    if finite.size:
        counts, edges = np.histogram(finite, bins=BINS)
        lo, hi, total = float(finite.min()), float(finite.max()), float(finite.sum())
    else:
        counts, edges = np.zeros(BINS), np.linspace(0.0, 1.0, BINS + 1)
        lo = hi = total = float("nan")
    return HistogramRecord(
        key=key,
        step=step,
        wall_time=wall_time,
        edges=[float(e) for e in edges],
        counts=[float(c) for c in counts],
        min=lo,
        max=hi,
        count=int(arr.size),
        sum=total,
    )
