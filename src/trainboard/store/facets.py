"""`RunFacets`: how many runs a filter matches, per project, per status and per model.

Why apart from the runs list: the Runs page's filter options show these counts, and they are
one GROUP BY over a covering index in SQL (store/sql/facetcounts.py), never a page of runs.
Engines without SQL count a listing (`of_runs`), so every engine gives the same answer.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from trainboard.store.records import RunRecord


@dataclass
class RunFacets:
    """Counts over the runs one RunQuery's filters match (its limit, offset and sort are
    ignored). `model` counts runs without a model under the key None."""

    total: int = 0
    project: dict[str, int] = field(default_factory=dict)
    status: dict[str, int] = field(default_factory=dict)
    model: dict[str | None, int] = field(default_factory=dict)

    def add(self, project: str, status: str, model: str | None, n: int) -> None:
        """Count `n` runs of one (project, status, model) group."""
        self.total += n
        self.project[project] = self.project.get(project, 0) + n
        self.status[status] = self.status.get(status, 0) + n
        self.model[model] = self.model.get(model, 0) + n


def of_runs(runs: Iterable[RunRecord]) -> RunFacets:
    """The facets of listed runs (engines without SQL)."""
    out = RunFacets()
    for r in runs:
        out.add(r.project, r.status, r.model, 1)
    return out
