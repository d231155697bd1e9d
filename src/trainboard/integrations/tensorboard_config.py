"""A TensorBoard log's config, from the texts the Hugging Face Trainer writes into it.

TensorBoard logs have no config, but the Trainer's TensorBoardCallback writes two texts when
training starts: `args` (`TrainingArguments.to_json_string()`) and `model_config` (the model's
`config.to_json_string()`); torch's SummaryWriter files them under "args/text_summary" and
"model_config/text_summary". TensorBoard shows them, so an import keeps them as the run's
config, in the shape the HF integration gives a run logged directly (trainboard.integrations.hf):
the arguments at the top level, the model's config under "model". Runs of one job logged both
ways then have one config, and the config diff, compare and `max_steps` (the run's total
steps, roles/steps.py) read the same keys.

A text that is not a JSON object is left a text, as it always was.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

PLACES = {"args": None, "model_config": "model"}
"""The text's name -> where its JSON goes in the config (None: at the top level)."""

__all__ = ["PLACES", "config_from_texts"]


def _name(tag: str) -> str:
    return tag.removesuffix("/text_summary")


def config_from_texts(texts: Iterable[tuple[str, int, float, str]]) -> dict[str, Any]:
    """The config the texts (tag, step, wall time, text) hold; {} when none does. A text
    written twice (a second train() in one log folder) counts as last written."""
    out: dict[str, Any] = {}
    for tag, _step, _wall, text in texts:
        name = _name(tag)
        if name not in PLACES:
            continue
        try:
            value = json.loads(text)
        except ValueError:
            continue
        if not isinstance(value, dict):
            continue
        place = PLACES[name]
        if place is None:
            out.update(value)
        else:
            out[place] = value
    return out
