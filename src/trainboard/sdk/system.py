"""System metrics sampled in a background thread, logged as metrics of the run.

    sys/cpu_percent  sys/ram_percent  sys/ram_used_gb  sys/proc_rss_gb       (psutil)
    sys/gpu{i}/util  sys/gpu{i}/mem_used_gb  sys/gpu{i}/mem_percent
    sys/gpu{i}/temp_c  sys/gpu{i}/power_w                                      (NVML)

GB are 2**30 bytes (what nvidia-smi and most dashboards call GB). NVML comes from
nvidia-ml-py (`pynvml`), imported lazily; any failure there means "no GPU", never an error.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

_GB = float(2**30)


class _Gpus:
    """NVML handles, or none when NVML is missing or fails."""

    def __init__(self) -> None:
        self.nvml: Any = None
        self.handles: list[Any] = []
        try:
            import pynvml

            pynvml.nvmlInit()
            self.handles = [
                pynvml.nvmlDeviceGetHandleByIndex(i) for i in range(pynvml.nvmlDeviceGetCount())
            ]
            self.nvml = pynvml
        except Exception:
            self.handles = []

    def sample(self, out: dict[str, float]) -> None:
        nv = self.nvml
        for i, h in enumerate(self.handles):
            p = f"sys/gpu{i}/"
            try:
                out[p + "util"] = float(nv.nvmlDeviceGetUtilizationRates(h).gpu)
            except Exception:
                pass
            try:
                mem = nv.nvmlDeviceGetMemoryInfo(h)
                out[p + "mem_used_gb"] = mem.used / _GB
                out[p + "mem_percent"] = 100.0 * mem.used / mem.total if mem.total else 0.0
            except Exception:
                pass
            try:
                out[p + "temp_c"] = float(nv.nvmlDeviceGetTemperature(h, nv.NVML_TEMPERATURE_GPU))
            except Exception:
                pass
            try:
                out[p + "power_w"] = nv.nvmlDeviceGetPowerUsage(h) / 1000.0
            except Exception:
                pass

    def close(self) -> None:
        if self.nvml is not None:
            try:
                self.nvml.nvmlShutdown()
            except Exception:
                pass


def sample_once(gpus: _Gpus | None = None) -> dict[str, float]:
    """One reading of every system metric available here."""
    import psutil

    vm = psutil.virtual_memory()
    out = {
        "sys/cpu_percent": float(psutil.cpu_percent(interval=None)),
        "sys/ram_percent": float(vm.percent),
        "sys/ram_used_gb": vm.used / _GB,
        "sys/proc_rss_gb": psutil.Process().memory_info().rss / _GB,
    }
    if gpus is not None:
        gpus.sample(out)
    return out


class SystemSampler:
    """Calls `emit(metrics)` every `interval` seconds from a daemon thread until stop()."""

    def __init__(self, emit: Callable[[dict[str, float]], None], interval: float) -> None:
        self._emit = emit
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._main, name="trainboard-system", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(5.0)

    def _main(self) -> None:
        import psutil

        psutil.cpu_percent(interval=None)  # the first reading is meaningless: prime it
        gpus = _Gpus()
        try:
            while not self._stop.wait(self._interval):
                try:
                    self._emit(sample_once(gpus))
                except Exception:
                    pass  # a sensor that fails once must not end the sampling
        finally:
            gpus.close()
