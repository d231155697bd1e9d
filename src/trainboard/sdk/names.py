"""Run ids (12 lowercase hex chars) and readable default names."""

from __future__ import annotations

import secrets

_ADJECTIVES = (
    "amber", "bold", "brisk", "calm", "clever", "crisp", "daring", "eager", "fancy", "gentle",
    "glad", "golden", "hardy", "jolly", "keen", "lively", "lucky", "mellow", "nimble", "noble",
    "plucky", "proud", "quick", "quiet", "rapid", "shiny", "silent", "snowy", "steady", "sunny",
    "swift", "tidy", "vivid", "warm", "wild", "witty",
)  # fmt: skip
_NOUNS = (
    "badger", "beacon", "brook", "canyon", "cedar", "comet", "coral", "dawn", "delta", "falcon",
    "fern", "forest", "glacier", "harbor", "heron", "island", "lagoon", "lynx", "meadow",
    "meteor", "otter", "owl", "panda", "pine", "planet", "raven", "river", "sparrow", "summit",
    "thunder", "tiger", "valley", "willow", "wolf",
)  # fmt: skip


def new_run_id() -> str:
    return secrets.token_hex(6)


def default_name(run_id: str) -> str:
    """A name a person can say aloud, tied to the id: "brisk-falcon-3f9a"."""
    n = int(run_id, 16)
    return f"{_ADJECTIVES[n % len(_ADJECTIVES)]}-{_NOUNS[(n // 97) % len(_NOUNS)]}-{run_id[:4]}"
