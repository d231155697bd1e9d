"""The store: one interface (base.Store) and the values it takes and returns (records,
queries), engines for SQLite, PostgreSQL and a remote server, and one factory
(factory.open_store) that picks the engine from a URL."""

from trainboard.store.base import Store
from trainboard.store.factory import open_store
from trainboard.store.queries import RunQuery
from trainboard.store.records import (
    STATUSES,
    ArtifactRecord,
    HistogramRecord,
    MetricSummary,
    PointBatch,
    RunRecord,
    Series,
    TextRecord,
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
