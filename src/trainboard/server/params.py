"""Unknown query parameters are a 400 that names them.

FastAPI ignores query parameters a route does not declare, so a typo (`?max_point=100`) would
silently give the default. Every API router depends on `reject_unknown_query`, which compares the
request's parameters with the ones the matched route declares (its dependencies included).
"""

from __future__ import annotations

from typing import Any

from fastapi import Request

from trainboard.errors import UsageError

ALWAYS_ALLOWED = frozenset({"token"})  # auth travels in the query for EventSource and pages


def _declared(dependant: Any) -> set[str]:
    names = {p.alias for p in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _declared(sub)
    return names


def _allowed_for(route: Any) -> frozenset[str]:
    """The route's declared names, worked out once and kept on the route object."""
    allowed: frozenset[str] | None = getattr(route, "_trainboard_query", None)
    if allowed is None:
        dependant = getattr(route, "dependant", None)
        allowed = frozenset(_declared(dependant) if dependant else set()) | ALWAYS_ALLOWED
        route._trainboard_query = allowed
    return allowed


def reject_unknown_query(request: Request) -> None:
    route = request.scope.get("route")
    if route is None:
        return
    allowed = _allowed_for(route)
    unknown = sorted(set(request.query_params) - allowed)
    if unknown:
        names = ", ".join(repr(n) for n in unknown)
        known = ", ".join(sorted(allowed - ALWAYS_ALLOWED)) or "none"
        raise UsageError(f"unknown query parameter(s) {names}; this route takes: {known}")
