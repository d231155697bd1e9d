"""The store: one interface (base.Store), engines for SQLite, PostgreSQL and a remote server,
and one factory (factory.open_store) that picks the engine from a URL."""

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
)
from trainboard.store.factory import open_store

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
