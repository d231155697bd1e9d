"""Settings, resolved once, as data: the CLI, docs and tests read the same table.

Store selection follows DESIGN.md: TRAINBOARD_URL (a remote server) > TRAINBOARD_DB (a
`sqlite:///path` or `postgresql://` URL) > the SQLite file under TRAINBOARD_HOME.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Setting:
    env: str
    default: str
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting("TRAINBOARD_URL", "", "URL of a remote trainboard server; the SDK sends points there."),
    Setting("TRAINBOARD_DB", "", "Store URL: sqlite:///path/to/file.db or postgresql://..."),
    Setting(
        "TRAINBOARD_HOME", "~/.trainboard", "Folder of the default SQLite store and artifacts."
    ),
    Setting("TRAINBOARD_TOKEN", "", "Token the server requires (and the SDK sends) off loopback."),
    Setting(
        "TRAINBOARD_ALLOWED_HOSTS",
        "",
        "Comma-separated host names a loopback server also answers (besides localhost).",
    ),
    Setting(
        "TRAINBOARD_ALLOWED_ORIGINS",
        "",
        "Comma-separated web origins (https://host:port) that may change runs, besides the "
        "server's own pages.",
    ),
    Setting("TRAINBOARD_MAX_BODY_MB", "64", "Largest request body the server accepts, in MB."),
    Setting(
        "TRAINBOARD_HEADER_TIMEOUT",
        "10",
        "Seconds a connection may take to send its request headers before it is closed.",
    ),
    Setting(
        "TRAINBOARD_MAX_CONNECTIONS",
        "1000",
        "Open connections the server keeps; a new one closes the longest idle one, and gets a "
        "503 only when all are busy.",
    ),
    Setting("TRAINBOARD_FLUSH_INTERVAL", "0.5", "Seconds between background writer flushes."),
    Setting("TRAINBOARD_HEARTBEAT_INTERVAL", "5", "Seconds between a running run's heartbeats."),
    Setting(
        "TRAINBOARD_WRITE_ATTEMPTS",
        "20",
        "Failed tries of one batch, while the store takes other writes, before it is set aside.",
    ),
    Setting(
        "TRAINBOARD_HEARTBEAT_TIMEOUT",
        "60",
        "Seconds without a heartbeat before a run on another host is shown as crashed.",
    ),
    Setting("TRAINBOARD_SYSTEM_INTERVAL", "5", "Seconds between system metric samples; 0 = off."),
    Setting(
        "TRAINBOARD_PROGRESS_INTERVAL",
        "30",
        "Seconds between plain progress lines when progress is forced off a terminal.",
    ),
    Setting(
        "TRAINBOARD_PUBLIC_URL",
        "",
        "Address people open the dashboard at (https://tb.example.com); alerts link to runs there.",
    ),
    Setting(
        "TRAINBOARD_CONTROL_INTERVAL",
        "1",
        "Seconds between a running run's checks for a stop request and a hang; 0 = off.",
    ),
    Setting(
        "TRAINBOARD_ALL_RANKS",
        "",
        "Set to 1 to make each torchrun rank its own run (default: one run per job).",
    ),
    Setting(
        "TRAINBOARD_QUIET",
        "",
        "Set to 1 so init() does not print the line naming the run and where to see it.",
    ),
    Setting(
        "TRAINBOARD_MEDIA_MAX_MB",
        "32",
        "Largest media item (image, audio, video, table) log() takes, in MB as logged.",
    ),
    Setting(
        "TRAINBOARD_MEDIA_BUDGET_MB",
        "4096",
        "Media one run may log, in MB as logged (a resumed run starts from the bytes it has "
        "stored); past it log() raises.",
    ),
    Setting(
        "TRAINBOARD_MEDIA_URL",
        "",
        "s3://bucket/prefix[?endpoint=URL&region=NAME]: a PostgreSQL store keeps media bytes in "
        "this S3-compatible bucket (credentials from the AWS_* variables); empty: in the "
        "database. SQLite stores keep theirs in files beside the store.",
    ),
)


def _get(env: str) -> str:
    for s in SETTINGS:
        if s.env == env:
            return os.environ.get(env, s.default)
    raise KeyError(env)


def home() -> Path:
    return Path(_get("TRAINBOARD_HOME")).expanduser()


def store_url() -> str:
    """The store URL the SDK, CLI and server use when none is given."""
    db = _get("TRAINBOARD_DB")
    if db:
        return db
    return f"sqlite:///{home() / 'trainboard.db'}"


def remote_url() -> str:
    return _get("TRAINBOARD_URL")


def token() -> str:
    return _get("TRAINBOARD_TOKEN")


def _list(env: str) -> frozenset[str]:
    return frozenset(x.strip().lower() for x in _get(env).split(",") if x.strip())


def allowed_hosts() -> frozenset[str]:
    return _list("TRAINBOARD_ALLOWED_HOSTS")


def allowed_origins() -> frozenset[str]:
    return frozenset(o.rstrip("/") for o in _list("TRAINBOARD_ALLOWED_ORIGINS"))


def max_body_bytes() -> int:
    return int(float(_get("TRAINBOARD_MAX_BODY_MB")) * 1024 * 1024)


def header_timeout() -> float:
    return float(_get("TRAINBOARD_HEADER_TIMEOUT"))


def max_connections() -> int:
    return int(_get("TRAINBOARD_MAX_CONNECTIONS"))


def flush_interval() -> float:
    return float(_get("TRAINBOARD_FLUSH_INTERVAL"))


def write_attempts() -> int:
    """Tries of one batch the store keeps failing (while it answers) before it is set aside."""
    return max(1, int(_get("TRAINBOARD_WRITE_ATTEMPTS")))


def heartbeat_interval() -> float:
    return float(_get("TRAINBOARD_HEARTBEAT_INTERVAL"))


def heartbeat_timeout() -> float:
    return float(_get("TRAINBOARD_HEARTBEAT_TIMEOUT"))


def system_interval() -> float:
    return float(_get("TRAINBOARD_SYSTEM_INTERVAL"))


def progress_interval() -> float:
    return float(_get("TRAINBOARD_PROGRESS_INTERVAL"))


def public_url() -> str:
    return _get("TRAINBOARD_PUBLIC_URL").rstrip("/")


def control_interval() -> float:
    return float(_get("TRAINBOARD_CONTROL_INTERVAL"))


def all_ranks() -> bool:
    return _get("TRAINBOARD_ALL_RANKS").lower() in {"1", "true", "yes"}


def quiet() -> bool:
    return _get("TRAINBOARD_QUIET").lower() in {"1", "true", "yes"}


def artifacts_dir(url: str | None = None) -> Path:
    """Artifacts live beside the SQLite file, or under TRAINBOARD_HOME for PostgreSQL."""
    url = url or store_url()
    if url.startswith("sqlite:///"):
        return Path(url.removeprefix("sqlite:///")).expanduser().parent / "artifacts"
    return home() / "artifacts"


def media_max_bytes() -> int:
    return int(float(_get("TRAINBOARD_MEDIA_MAX_MB")) * 1024 * 1024)


def media_url() -> str:
    return _get("TRAINBOARD_MEDIA_URL").strip()


def media_budget_bytes() -> int:
    return int(float(_get("TRAINBOARD_MEDIA_BUDGET_MB")) * 1024 * 1024)
