"""Every error trainboard raises on purpose, in one tree.

    TrainboardError
    ├── UsageError(ValueError)        bad input at a boundary: SDK call, CLI argument, query
    │   └── ImportFormatError         an imported file (jsonl, TensorBoard) is malformed
    ├── RunNotFoundError(KeyError)    no run with that id
    ├── NotFoundError(LookupError)    another missing thing: an API path, an artifact
    ├── AuthError                     a request without a valid token (401)
    ├── ForbiddenError                a token or page not allowed to do that (403)
    ├── ConfirmationRequiredError     a destructive action was not confirmed
    ├── StoreError                    the store could not be opened or written
    ├── MissingExtraError(ImportError) an optional integration is not installed
    └── RunStopped                    a run asked to stop (`trainboard stop`) with
                                      init(stop="raise"): raised by its next log()

    TrainboardWarning(UserWarning)    a background problem (store unreachable, retrying)

`log()` type errors are plain `TypeError`/`ValueError` (what Python users expect from a bad
argument); their messages follow the same "what, expected, got" shape.

Each error carries `status` (the HTTP status the server answers with) so the API turns it into
one JSON error body without a table of special cases. Anything not in this tree becomes an
opaque 500.
"""

from __future__ import annotations


class TrainboardError(Exception):
    """Base of every deliberate trainboard error."""

    status: int = 500
    code: str = "internal_error"

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else self.__class__.__name__


class UsageError(TrainboardError, ValueError):
    status = 400
    code = "bad_request"


class ImportFormatError(UsageError):
    """A file being imported is malformed; the message names the file and line."""

    code = "bad_import"


class RunNotFoundError(TrainboardError, KeyError):
    status = 404
    code = "run_not_found"

    def __init__(self, run_id: str) -> None:
        super().__init__(f"no run with id {run_id!r}")
        self.run_id = run_id

    def __str__(self) -> str:  # KeyError would repr() the message
        return self.message


class NotFoundError(TrainboardError, LookupError):
    """Something other than a run is missing (an API path, an artifact file)."""

    status = 404
    code = "not_found"


class AuthError(TrainboardError):
    """The server needs a token (its own, or a scoped one) and the request carried none
    that is valid."""

    status = 401
    code = "unauthorized"


class ForbiddenError(TrainboardError):
    """A valid token whose scope does not allow the request, or a request from a host or
    web page the server does not trust."""

    status = 403
    code = "forbidden"


class ConfirmationRequiredError(UsageError):
    code = "confirmation_required"


class StoreError(TrainboardError):
    """The store failed a read or write. `transient`: the same call may succeed later (the
    store is down, locked or full), so a writer keeps the data and retries; False when the
    store refused the data for good (each engine decides which: store/sql/dialect.py)."""

    status = 503
    code = "store_unavailable"

    def __init__(self, message: str, *, transient: bool = True) -> None:
        super().__init__(message)
        self.transient = transient


class MissingExtraError(TrainboardError, ImportError):
    """An optional integration's package is missing; the message gives the pip command."""

    status = 501
    code = "missing_extra"

    def __init__(self, feature: str, extra: str, package: str) -> None:
        super().__init__(
            f"{feature} needs {package}, which is not installed: pip install 'trainboard[{extra}]'"
        )


class RunStopped(TrainboardError):
    """Raised by `log()` once someone asked the run to stop (`trainboard stop`, the Run page's
    Stop button, `Api().run(id).stop()`) and the run was started with `init(stop="raise")`.
    Left uncaught, the run ends with status "stopped"."""

    status = 409
    code = "stopped"


def error_from_body(
    status: int, code: str, message: str, run_id: str | None = None
) -> TrainboardError:
    """The error an API error body (`{"error": {"status", "code", "message", "run_id"?}}`)
    stands for: the class the local engines raise for that code, so a caller catches the same
    class whichever store answered. A code this client does not know falls back on the status
    (401, 403, 404, other 4xx, 5xx)."""
    if code == RunNotFoundError.code and run_id is not None:
        return RunNotFoundError(run_id)
    cls = _by_code(TrainboardError).get(code)
    if cls is None or cls in (RunNotFoundError, MissingExtraError):  # need more than a message
        cls = {401: AuthError, 403: ForbiddenError, 404: NotFoundError}.get(status) or (
            UsageError if status < 500 else StoreError
        )
    return cls(message)


def _by_code(base: type[TrainboardError]) -> dict[str, type[TrainboardError]]:
    out: dict[str, type[TrainboardError]] = {}
    for sub in base.__subclasses__():
        out.setdefault(sub.code, sub)
        for code, cls in _by_code(sub).items():
            out.setdefault(code, cls)
    return out


class TrainboardWarning(UserWarning):
    """Something went wrong off the training thread (the store was unreachable, a write was
    retried); training goes on and nothing is lost unless the warning says so."""
