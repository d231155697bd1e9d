"""The store: one interface (base.Store), engines for SQLite and PostgreSQL."""

from trainboard.store.base import (
    STATUSES,
    ArtifactRecord,
    HistogramRecord,
    MetricSummary,
    PointBatch,
    RunQuery,
    RunRecord,
    Series,
    Store,
    TextRecord,
    open_store,
)

__all__ = [
    "STATUSES",
    "ArtifactRecord",
    "HistogramRecord",
    "MetricSummary",
    "PointBatch",
    "RunQuery",
    "RunRecord",
    "Series",
    "Store",
    "TextRecord",
    "open_store",
]
