"""TensorBoard event files, read record by record from a byte offset, every point.

An event file is a sequence of TFRecords: an 8-byte little-endian length, its masked CRC-32C,
the serialized `Event` proto, and the data's masked CRC-32C. This module frames records the
way TensorBoard's own reader does (`tensorboard.compat.tensorflow_stub.pywrap_tensorflow.
PyRecordReader_New`, which `event_file_loader.EventFileLoader` uses without TensorFlow), with
the same checks, but with the checksum computed in C (`google-crc32c`; TensorBoard's is pure
Python, ~55 µs a record) and knowing the byte offset of every record, so a later import (or
`--follow`) starts where the last one stopped. The events are TensorBoard's own protos
(`tensorboard.compat.proto.event_pb2`), their values normalised by its own
`data_compat.migrate_value` (TF1 `simple_value`/`histo` -> TF2 tensors), so scalars written
by TF1, TF2 (`tf.summary`, tensors) and torch read alike. tests/integrations compare what
comes out with TensorBoard's EventFileLoader on files from real writers.

Values by plugin:
    scalars      a point (tag, step, wall time, value)
    histograms   a histogram (the bucket edges and counts as written)
    text         a text sample (a string tensor; several strings joined by newlines)
    images       media images: each encoded image (PNG, JPEG...) as written, bytes unchanged
    audio        media audio: each encoded sound (torch writes WAV), with its label as caption
    hparams      the HParams plugin's session start (hyperparameters -> config) and
                 experiment (its metric tags)
    anything else (images, audio, graphs, PR curves...) is counted and left out
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass, field
from typing import Any

from trainboard.errors import MissingExtraError

_HEADER = struct.Struct("<QI")
_CRC = struct.Struct("<I")
_MASK_DELTA = 0xA282EAD8

EVENT_FILE_MARK = "tfevents"


def _crc_fn() -> Any:
    try:
        import google_crc32c

        return google_crc32c.value
    except ImportError:  # TensorBoard's own (pure Python: correct, slow)
        from tensorboard.compat.tensorflow_stub.pywrap_tensorflow import crc32c

        return crc32c


@dataclass
class Damage:
    """Where a file stops being readable, and why (a torn tail or a failed checksum)."""

    offset: int
    reason: str


def read_batch(
    path: str, offset: int, max_bytes: int = 4 << 20
) -> tuple[list[bytes], int, Damage | None]:
    """(records, offset after the last one, Damage or None): the complete records from
    `offset`, about `max_bytes` of them at most (then the caller asks again from the offset
    returned). A record whose checksum fails, or a file that ends inside a record ("torn": in a
    file still being written it is simply not finished yet), ends the batch with a Damage. A
    batch loop, not a generator: there can be millions of records."""
    crc = _crc_fn()
    header, crc_at = _HEADER.unpack_from, _CRC.unpack_from
    with open(path, "rb") as f:
        f.seek(offset)
        buf = f.read(max_bytes)
    n = len(buf)
    records: list[bytes] = []
    append = records.append
    pos = 0
    while n - pos >= 12:
        length, hcrc = header(buf, pos)
        c = crc(buf[pos : pos + 8])
        if (((c >> 15) | (c << 17)) + _MASK_DELTA) & 0xFFFFFFFF != hcrc:
            return records, offset + pos, Damage(offset + pos, "a record header fails its checksum")
        end = pos + 16 + length
        if end > n:
            break
        data = buf[pos + 12 : end - 4]
        c = crc(data)
        if (((c >> 15) | (c << 17)) + _MASK_DELTA) & 0xFFFFFFFF != crc_at(buf, end - 4)[0]:
            return records, offset + pos, Damage(offset + pos, "a record fails its checksum")
        append(data)
        pos = end
    if pos == 0 and n >= max_bytes:  # one record bigger than a batch: read it whole
        return read_batch(path, offset, max_bytes * 4)
    if pos < n and n < max_bytes:  # the file ends inside a record
        return (
            records,
            offset + pos,
            Damage(offset + pos, "the last record is incomplete (torn or still being written)"),
        )
    return records, offset + pos, None


@dataclass
class Parsed:
    """What the records of one run folder held, by kind, ready to store."""

    scalars: dict[str, list[tuple[int, float, float]]] = field(default_factory=dict)  # tag -> rows
    arrays: dict[str, list[tuple[Any, Any, Any]]] = field(default_factory=dict)  # numpy columns
    histograms: list[tuple[str, int, float, list[float], list[float]]] = field(default_factory=list)
    texts: list[tuple[str, int, float, str]] = field(default_factory=list)
    # (tag, step, wall time, kind, index, encoded bytes, caption)
    media: list[tuple[str, int, float, str, int, bytes, str | None]] = field(default_factory=list)
    hparams: dict[str, Any] = field(default_factory=dict)
    hparam_metrics: list[str] = field(default_factory=list)
    left_out: dict[str, int] = field(default_factory=dict)  # plugin -> values
    first_time: float | None = None
    last_time: float | None = None
    events: int = 0

    @property
    def points(self) -> int:
        rows = sum(len(r) for r in self.scalars.values())
        return rows + sum(len(c[0]) for chunks in self.arrays.values() for c in chunks)


def _imports() -> tuple[Any, Any, Any]:
    try:
        from tensorboard import data_compat
        from tensorboard.compat.proto import event_pb2
        from tensorboard.util import tensor_util
    except ImportError:
        raise MissingExtraError(
            "importing TensorBoard logs", "tensorboard", "tensorboard"
        ) from None
    return event_pb2, data_compat, tensor_util


def parse(records: list[bytes], out: Parsed) -> None:
    """Add what `records` (serialized Events) hold to `out`: the common one-scalar events of a
    big batch with numpy (tensorboard_vector), the others one at a time."""
    from trainboard.integrations.tensorboard_vector import decode

    columns, rest, walls = decode(records)
    if columns:
        for tag, cols in columns.items():
            out.arrays.setdefault(tag, []).append(cols)
        out.events += len(records) - len(rest)
        lo, hi = float(walls.min()), float(walls.max())
        out.first_time = lo if out.first_time is None else min(out.first_time, lo)
        out.last_time = hi if out.last_time is None else max(out.last_time, hi)
        records = [records[i] for i in rest]
    _parse_each(records, out)


def _parse_each(records: list[bytes], out: Parsed) -> None:
    event_pb2, data_compat, tensor_util = _imports()
    from_string = event_pb2.Event.FromString
    scalars = out.scalars
    by_bytes: dict[bytes, list[tuple[int, float, float]]] = {}
    for raw in records:
        out.events += 1
        quick = _simple_event(raw)
        if quick is not None:  # the common case, straight from the wire (see _simple_event)
            step, wall, values = quick
            if values:
                if out.first_time is None or wall < out.first_time:
                    out.first_time = wall
                if out.last_time is None or wall > out.last_time:
                    out.last_time = wall
            for tag_bytes, x in values:
                rows = by_bytes.get(tag_bytes)
                if rows is None:
                    tag = tag_bytes.decode("utf-8", "replace")
                    rows = by_bytes[tag_bytes] = scalars.setdefault(tag, [])
                rows.append((step, wall, x))
            continue
        ev = from_string(raw)
        if not ev.HasField("summary"):
            continue
        step, wall = int(ev.step), float(ev.wall_time)
        if out.first_time is None or wall < out.first_time:
            out.first_time = wall
        if out.last_time is None or wall > out.last_time:
            out.last_time = wall
        for value in ev.summary.value:
            if value.HasField("simple_value"):  # TF1 / torch scalars: the common case, fast
                scalars.setdefault(value.tag, []).append((step, wall, value.simple_value))
                continue
            value = data_compat.migrate_value(value)
            plugin = value.metadata.plugin_data.plugin_name
            if plugin == "scalars":
                x = float(tensor_util.make_ndarray(value.tensor).item())
                scalars.setdefault(value.tag, []).append((step, wall, x))
            elif plugin == "histograms":
                arr = tensor_util.make_ndarray(value.tensor)
                if arr.ndim == 2 and arr.shape[0] and arr.shape[1] == 3:
                    edges = [float(x) for x in arr[:, 0]] + [float(arr[-1, 1])]
                    counts = [float(x) for x in arr[:, 2]]
                    out.histograms.append((value.tag, step, wall, edges, counts))
            elif plugin == "text":
                arr = tensor_util.make_ndarray(value.tensor)
                items = [x.decode("utf-8", "replace") if isinstance(x, bytes) else str(x)
                         for x in arr.reshape(-1).tolist()]  # fmt: skip
                out.texts.append((value.tag, step, wall, "\n".join(items)))
            elif plugin == "hparams":
                _hparams(value.metadata.plugin_data.content, out)
            elif plugin == "images":  # [width, height, encoded image, encoded image...]
                arr = tensor_util.make_ndarray(value.tensor).reshape(-1).tolist()
                for i, data in enumerate(arr[2:]):
                    out.media.append((value.tag, step, wall, "image", i, bytes(data), None))
            elif plugin == "audio":  # rows of [encoded sound, label]
                arr = tensor_util.make_ndarray(value.tensor)
                for i, row in enumerate(arr.reshape(-1, arr.shape[-1] if arr.ndim > 1 else 1)):
                    label = row[1].decode("utf-8", "replace") if len(row) > 1 else ""
                    item = (value.tag, step, wall, "audio", i, bytes(row[0]), label or None)
                    out.media.append(item)
            else:
                name = plugin or ("image" if value.HasField("image") else "other")
                out.left_out[name] = out.left_out.get(name, 0) + 1


_unpack_d = struct.Struct("<d").unpack_from
_unpack_f = struct.Struct("<f").unpack_from


def _varint(raw: bytes, pos: int) -> tuple[int, int]:
    shift = result = 0
    while True:
        b = raw[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if b < 0x80:
            return result, pos
        shift += 7


def _simple_event(raw: bytes) -> tuple[int, float, list[tuple[bytes, float]]] | None:
    """(step, wall time, [(tag, value)]) of an Event that holds only a wall time, a step and
    a summary of TF1 `simple_value`s (what torch and tf.summary v1 write for scalars), decoded
    from the protobuf wire format directly (about 3x faster than building the messages); None
    for anything else (a field more, metadata, a tensor...), which then goes through
    TensorBoard's own protos. Tests check both ways agree with TensorBoard's loader."""
    n = len(raw)
    pos = 0
    wall = 0.0
    step = 0
    summary = None
    try:
        while pos < n:
            key = raw[pos]
            pos += 1
            if key == 0x09:  # 1: wall_time, double
                wall = _unpack_d(raw, pos)[0]
                pos += 8
            elif key == 0x10:  # 2: step, int64
                step = raw[pos]
                if step < 0x80:
                    pos += 1
                else:
                    step, pos = _varint(raw, pos)
                    if step >= 1 << 63:
                        step -= 1 << 64
            elif key == 0x2A:  # 5: summary
                length, pos = _varint(raw, pos)
                summary = (pos, pos + length)
                pos += length
            else:
                return None
        values: list[tuple[bytes, float]] = []
        if summary is not None:
            p, end = summary
            while p < end:
                if raw[p] != 0x0A:  # Summary.value
                    return None
                length = raw[p + 1]
                if length < 0x80:
                    p += 2
                else:
                    length, p = _varint(raw, p + 1)
                vend = p + length
                tag = None
                x = None
                while p < vend:
                    key = raw[p]
                    p += 1
                    if key == 0x0A:  # Value.tag
                        tl = raw[p]
                        if tl < 0x80:
                            p += 1
                        else:
                            tl, p = _varint(raw, p)
                        tag = raw[p : p + tl]
                        p += tl
                    elif key == 0x15:  # Value.simple_value, float
                        x = _unpack_f(raw, p)[0]
                        p += 4
                    else:
                        return None
                if tag is None or x is None or p != vend:
                    return None
                values.append((tag, x))
            if p != end:
                return None
        if pos != n:
            return None
        return step, wall, values
    except (IndexError, struct.error):
        return None


def _hparams(content: bytes, out: Parsed) -> None:
    from tensorboard.plugins.hparams import plugin_data_pb2

    data = plugin_data_pb2.HParamsPluginData.FromString(content)
    kind = data.WhichOneof("data")
    if kind == "session_start_info":
        for name, v in data.session_start_info.hparams.items():
            which = v.WhichOneof("kind")
            if which == "number_value":
                num = v.number_value
                out.hparams[name] = int(num) if num.is_integer() else num
            elif which == "string_value":
                out.hparams[name] = v.string_value
            elif which == "bool_value":
                out.hparams[name] = v.bool_value
    elif kind == "experiment":
        for m in data.experiment.metric_infos:
            tag = m.name.tag
            if tag and tag not in out.hparam_metrics:
                out.hparam_metrics.append(tag)


def event_files(folder: str) -> list[str]:
    """The event files directly in `folder`, in name order (their names start with the
    time they were opened, so this is the order they were written)."""
    try:
        names = os.listdir(folder)
    except OSError:
        return []
    return sorted(
        n for n in names if EVENT_FILE_MARK in n and os.path.isfile(os.path.join(folder, n))
    )


def run_folders(logdir: str) -> list[str]:
    """Every folder under `logdir` (itself included) that holds event files, sorted."""
    found = []
    for root, dirs, _files in os.walk(logdir):
        dirs.sort()
        if event_files(root):
            found.append(root)
    return found
