"""The dashboard as a child process (`python -m trainboard ui --no-browser --port P`), so the
demo's training loop and the server never compete for one interpreter's GIL."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

DEFAULT_PORT = 8765


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind((host, port))
        except OSError:
            return False
        return True


def free_port(preferred: int | None = DEFAULT_PORT) -> int:
    """`preferred` when nothing listens there, else any free port the OS hands out."""
    if preferred and port_is_free(preferred):
        return preferred
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Dashboard:
    """Start with `start()`, which waits until the server answers; `stop()` ends it."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self._proc: subprocess.Popen[bytes] | None = None
        self._log = tempfile.TemporaryFile()

    def start(self, timeout: float = 30.0) -> None:
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "trainboard", "ui", "--no-browser", "--port", str(self.port)],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=os.environ.copy(),
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(
                    f"the dashboard exited with {self._proc.returncode}: {self.output()}"
                )
            try:
                with urllib.request.urlopen(f"{self.url}/api/v1/runs?limit=1", timeout=1):
                    return
            except (urllib.error.URLError, OSError):
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"the dashboard did not answer on {self.url} within {timeout:.0f}s")

    def output(self) -> str:
        self._log.seek(0)
        return self._log.read().decode(errors="replace").strip()

    def wait(self) -> None:
        """Block until the dashboard process ends (or Ctrl-C)."""
        if self._proc is not None:
            self._proc.wait()

    def stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        self._proc = None
