"""init(): start, resume or disable a run, and everything its start-up needs.

Why apart from run.py: `Run` is the hot path and the run's own methods; this module is the one-off
work around it (check init()'s arguments, choose and open the store, make the journal and the
writer, resume a stored run, start the system sampler, the progress line, figures and the hooks
others add through INIT_HOOKS). New init() options go here (keep it keyword-only).
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from trainboard import settings
from trainboard.errors import UsageError
from trainboard.keys import is_system
from trainboard.roles.steps import total_steps_from_config
from trainboard.sdk import context, hooks
from trainboard.sdk.finish import end
from trainboard.sdk.names import default_name, new_run_id
from trainboard.sdk.run import Run
from trainboard.sdk.selection import open_selected, select_store
from trainboard.sdk.torchrun import Job, job_of_env, job_run_id, process_rank
from trainboard.sdk.validate import as_config, check_name, check_text

if TYPE_CHECKING:
    from trainboard.journal.files import Journal
    from trainboard.sdk.writer import Writer
    from trainboard.store.attempts import Attempt
    from trainboard.store.base import Store
    from trainboard.store.records import EventRecord, RunRecord

_CREATE_WAIT = 5.0  # seconds init() waits for the run row before training goes on


def _open_now(
    url: str, remote: str, project: str | None = None, run_id: str | None = None
) -> Store | None:
    """Open the store in init() itself, so one that can never be opened (a damaged file, a
    schema from the future) fails init() at once with the reason. A PostgreSQL server that is
    down is not that: the run starts, its points wait in the journal (None is returned and
    the writer keeps trying). Which failures are passing is the engine's rule, carried by
    `StoreError.transient` (store/sql/dialect.py); a SQLite file is on this machine, with no
    server to come back, so only PostgreSQL's are waited for. A remote store never fails
    here: its ops wait in its spool. But a server that refuses this token the run's project
    (`project`), or the stored run it resumes (`run_id`: its project and owner, which the
    server knows), fails init() here with its ForbiddenError, not later in the background."""
    from trainboard.errors import StoreError
    from trainboard.store.url import StoreURL  # not at import: it loads the store

    try:
        store = open_selected(url, remote)
    except Exception as e:
        if isinstance(e, StoreError | UsageError):
            on_server = (
                not remote and StoreURL.is_sql(url) and StoreURL.parse(url).engine == "postgresql"
            )
            if on_server and isinstance(e, StoreError) and e.transient:
                return None
            raise
        raise StoreError(
            f"init(): cannot open the store at {remote or url}: {type(e).__name__}: {e}"
        ) from e
    check_write = getattr(store, "check_write", None)  # a remote server: is the token good?
    if check_write is not None:
        try:
            check_write(project, run_id)
        except BaseException:
            store.close()
            raise
    return store


def _journal(record: RunRecord, url: str, identity: str | None = None) -> Journal | None:
    """The run's journal beside the store; None (points then wait in memory) for an
    in-memory store, or where no journal can be made (warned once)."""
    from trainboard.store.url import StoreURL  # not at import: it loads the store

    if StoreURL.is_sql(url) and StoreURL.parse(url).in_memory:
        return None
    from trainboard.journal.files import Journal, journal_dir

    try:
        header = {k: v for k, v in record.__dict__.items() if k != "summary"}
        return Journal(journal_dir(url, identity), header, url, identity=identity)
    except OSError as e:
        from trainboard.sdk.writer import _warn

        _warn(
            f"trainboard: cannot make a journal for run {record.id} ({e}); its points wait in "
            "memory, and a killed process loses the last ones"
        )
        return None


def _check_init(
    project: object, name: object, model: object, total_steps: object, tags: object
) -> None:
    for arg, value in (("project", project), ("name", name), ("model", model)):
        if value is not None and (not isinstance(value, str) or not value):
            raise UsageError(f"init(): {arg} must be a non-empty str, got {value!r}")
        if isinstance(value, str):
            check_name("init()", arg, value)
    if total_steps is not None and (
        isinstance(total_steps, bool) or not isinstance(total_steps, int) or total_steps <= 0
    ):
        raise UsageError(f"init(): total_steps must be a positive int, got {total_steps!r}")
    if tags is not None and (
        isinstance(tags, str)
        or not isinstance(tags, Sequence | set | frozenset)
        or not all(isinstance(t, str) and t for t in tags)
    ):
        raise UsageError(f"init(): tags must be a list of non-empty str, got {tags!r}")
    for tag in tags or ():
        check_name("init()", "tag", tag)


def init(
    project: str | None = None,
    name: str | None = None,
    model: str | None = None,
    config: Any = None,
    total_steps: int | None = None,
    tags: Sequence[str] | None = None,
    resume: str | None = None,
    *,
    notes: str | None = None,
    store: str | None = None,
    all_ranks: bool | None = None,
    figures: int | None = None,
    figures_dir: str | os.PathLike[str] | None = None,
    progress: bool | None = None,
    run_id: str | None = None,
    fork: bool = False,
    hang_after: float | None = None,
    stop: str = "flag",
    group: str | None = None,
    resume_from_step: int | None = None,
) -> Run:
    """Start (or, with `resume=RUN_ID`, continue) a run and make it the current run.

    `store` overrides the store URL (tests, notebooks); otherwise TRAINBOARD_URL (a remote
    server) > TRAINBOARD_DB > the SQLite file under TRAINBOARD_HOME. Under torchrun only
    rank 0 records, unless `all_ranks=True` (or TRAINBOARD_ALL_RANKS=1): then each rank is
    its own run, "<name>-rank<r>". `figures=N` rewrites the run's charts in `figures_dir`
    every N steps (`Run.save_figures`). `progress` shows a live progress line on stderr
    (default: when stderr is a terminal; True off a terminal prints a plain line now and then;
    see sdk/console.py). Without `total_steps`, the config's `max_iters`, `max_steps`... give
    it (roles/steps.py). The processes of one job (torchrun, accelerate, DeepSpeed, SLURM, or
    the same `group=` on each) are one run, its id derived from the job (sdk/torchrun.py);
    rank 0 logs the run's metrics and every rank its own rate and system metrics
    (sdk/ranks.py). init() prints one line on stderr naming the run and where to see it
    (sdk/announce.py; TRAINBOARD_QUIET=1 silences it). `hang_after` is how many seconds
    without a `log()` make a hang alert (default: 10x the median step time, at least 5
    minutes); `stop="raise"` makes the next `log()` raise RunStopped once someone asks the run
    to stop (default "flag": only `run.should_stop` turns True). See docs/alerts.md.
    `resume_from_step=N` (with `resume=`) continues the run at step N, where the checkpoint
    it restarts from was saved: the points the attempt that died logged after N are kept as
    a superseded attempt, hidden from charts and comparison (store/attempts.py)."""
    from trainboard.store.records import RunRecord

    _check_init(project, name, model, total_steps, tags)
    _check_control(hang_after, stop)
    if notes is not None:
        check_text("init()", "notes", notes)
    if group is not None and (not isinstance(group, str) or not group):
        raise UsageError(f"init(): group must be a non-empty str, got {group!r}")
    cfg = as_config(config)
    rank = process_rank()
    every_rank = settings.all_ranks() if all_ranks is None else all_ranks
    job = None if every_rank else job_of_env(group)
    if job is not None:
        rank = job.rank
        # a resumed job continues the run it names on every rank (rank 0 re-opens it, the
        # others attach); a new one (or a fork) is the run every rank derives from the job
        if resume is not None and not fork:
            run_id = resume
        run_id = run_id or job_run_id(job, project, name)
    run_id = run_id or new_run_id()  # wandb's init(id=...)
    if rank is not None and every_rank:
        if resume is not None:
            raise UsageError("init(): resume= continues one run; it cannot be used with all_ranks")
        name = f"{name or default_name(run_id)}-rank{rank}"
        cfg["rank"] = rank
    url, remote = select_store(store)
    if total_steps is None:  # an unmodified script's max_iters, max_steps...
        total_steps = total_steps_from_config(cfg)
    record = RunRecord(
        id=run_id,
        project=project or "default",
        name=name or default_name(run_id),
        model=model,
        config=cfg,
        tags=list(dict.fromkeys(tags or [])),
        total_steps=total_steps,
        created_at=time.time(),
        heartbeat_at=time.time(),
        host=socket.gethostname(),
        pid=os.getpid(),
        notes=notes,
    )
    if job is not None and job.rank != 0:
        return _start_rank(record, job, url, remote, attach=resume is not None and not fork)
    if rank not in (None, 0) and not every_rank:
        run = Run(record, store_url=url, writer=None)
        run.state.enabled = False
        context.set_current(run)
        return run
    if fork and resume is None:
        raise UsageError("init(): fork=True starts a new attempt of resume=RUN_ID; name the run")
    _check_from_step(resume, resume_from_step, fork)
    if resume is not None:
        run = _resume(
            resume,
            record,
            url,
            remote,
            name,
            tags,
            total_steps,
            fork=fork,
            from_step=resume_from_step,
            shared=job is not None,
        )
    elif job is not None:
        run = _start(
            record, url, remote, create=True, resume_fields=_claim(record, job), shared=True
        )
    else:
        run = _start(record, url, remote, create=True, resume_fields=None)
    context.set_current(run)
    from trainboard.sdk.announce import announce

    announce(run.name, run.id, run.project, url, remote, resumed=resume is not None)
    hooks.install(run, end)
    run.state.stop_mode = stop
    _start_sentinel(run, url, remote, hang_after, resumed=resume is not None)
    _start_system(run)
    if job is not None:
        _report_rank(run, job, run.state.writer)
    if figures:
        run.save_figures(figures, figures_dir)
    from trainboard.sdk.console import start_progress

    line = start_progress(run, progress)
    if line is not None:
        run.state.extras.append(line)
    for hook in INIT_HOOKS:
        extra = hook(run)
        if extra is not None:
            run.state.extras.append(extra)
    return run


INIT_HOOKS: list[Callable[[Run], Any]] = []
"""Called with each recording run init() made; what a hook returns (when not None) is closed
(`.close(status)`) after the run's last write. The package façade adds the notebook display here
when it is imported in a Jupyter kernel (the SDK never imports the layers above it)."""


def _start(
    record: RunRecord,
    url: str,
    remote: str,
    *,
    create: bool,
    resume_fields: dict[str, Any] | None,
    last_step: int | None = None,
    summary: Mapping[str, float] | None = None,
    shared: bool = False,
    media_bytes: int = 0,
) -> Run:
    from trainboard.sdk.writer import Writer, identity_of

    store = _open_now(url, remote, record.project)
    writer = Writer(
        record,
        remote or url,
        lambda: open_selected(url, remote),
        journal=_journal(record, remote or url, identity_of(store)),
        store=store,
        create=create,
        resume_fields=resume_fields,
        flush_interval=settings.flush_interval(),
        heartbeat_interval=settings.heartbeat_interval(),
    )
    writer.shared = shared
    run = Run(record, store_url=url, writer=writer, last_step=last_step, summary=summary)
    run.state.media_bytes = media_bytes  # a resumed run's media count against its budget
    writer.start()
    # Wait (briefly) until the run is in the store, so `trainboard watch ID` or the dashboard
    # finds it as soon as init() returns; a store that is down only delays this, never fails it.
    writer.flush(timeout=_CREATE_WAIT)
    return run


def _resume(
    run_id: str,
    fresh: RunRecord,
    url: str,
    remote: str,
    name: str | None,
    tags: Sequence[str] | None,
    total_steps: int | None,
    *,
    fork: bool = False,
    from_step: int | None = None,
    shared: bool = False,
) -> Run:
    """Re-open a stored run: running again, config merged, step counter continued (at
    `from_step` when given). A run another live process still writes is refused; with
    `fork`, a new run starts from it. Each resume is recorded as the run's next attempt.
    `shared`: rank 0 of a job, whose other ranks write to the run too (its heartbeat then
    never sets the run running over a failure another rank recorded)."""
    if not isinstance(run_id, str) or not run_id:
        raise UsageError(f"init(resume={run_id!r}): resume must be a run id")
    # a fork writes a new run of its own (its project is checked as it starts); a resume
    # writes this one, so the server checks its project and owner now
    opened = _open_now(url, remote, run_id=None if fork else run_id)
    if opened is None:
        from trainboard.errors import StoreError

        raise StoreError(f"init(resume={run_id!r}): the store at {url} is not reachable")
    with opened as s:
        old = s.get_run(run_id)  # RunNotFoundError for an unknown id
        if fork:
            return _fork(old, fresh, url, remote, name, tags, total_steps)
        _refuse_second_writer(old, fresh)
        # the per-run media budget goes on from what the run has stored, not from zero
        stored_media = sum(r.size for r in s.read_media(run_id))
        from_step = _record_attempt(s, old, fresh, from_step)
    old.config = {**old.config, **fresh.config}
    old.tags = list(dict.fromkeys([*old.tags, *(tags or [])]))
    old.name = name or old.name
    old.total_steps = total_steps or old.total_steps
    old.status = "running"
    old.finished_at = None
    old.host, old.pid, old.heartbeat_at = fresh.host, fresh.pid, time.time()
    old.notes = fresh.notes
    fields = {
        "status": "running",
        "finished_at": None,
        "heartbeat_at": old.heartbeat_at,
        "host": old.host,
        "pid": old.pid,
        "config": old.config,
        "tags": old.tags,
        "name": old.name,
        "total_steps": old.total_steps,
        "notes": old.notes,
    }
    last_step = old.last_step
    if from_step is not None:
        fields["last_step"] = last_step = old.last_step = from_step
    summary = {k: s.last for k, s in old.summary.items() if not is_system(k)}
    return _start(
        old,
        url,
        remote,
        create=False,
        resume_fields=fields,
        last_step=last_step,
        summary=summary,
        media_bytes=stored_media,
        shared=shared,
    )


def _check_from_step(resume: str | None, from_step: object, fork: bool) -> None:
    if from_step is None:
        return
    if resume is None or fork:
        raise UsageError(
            "init(): resume_from_step= continues a run from a checkpoint step; pass resume=RUN_ID "
            "(and not fork=True)"
        )
    if isinstance(from_step, bool) or not isinstance(from_step, int) or from_step < 0:
        raise UsageError(
            f"init(resume={resume!r}): resume_from_step must be an int >= 0, got {from_step!r}"
        )


def _record_attempt(
    store: Store, old: RunRecord, fresh: RunRecord, from_step: int | None
) -> int | None:
    """Write this resume as the run's next attempt (store/attempts.py) and an event naming
    it; returns the step the run continues from (None: where it stopped). A `from_step` at
    or past the run's last step supersedes nothing and is where the run stands anyway."""
    from trainboard.store.attempts import NAMESPACE as ATTEMPTS
    from trainboard.store.attempts import Attempt, attempts_of

    now = time.time()
    known = attempts_of(store.read_run_values(old.id, ATTEMPTS))
    values: dict[str, Any] = {}
    if not known:  # the run's first attempt, never recorded while it was the only one
        first = Attempt(1, old.created_at, old.host, old.pid)
        values["1"] = first.to_json()
        known = [first]
    last = old.last_step
    if from_step is not None and (last is None or from_step >= last):
        from_step = None
    marks = [m.last_time for m in old.summary.values()]
    marks += [t for t in (old.heartbeat_at, old.finished_at) if t is not None]
    down = max(0.0, now - max(marks)) if marks else 0.0
    n = known[-1].n + 1
    superseded = (from_step + 1, int(last)) if from_step is not None and last else None
    attempt = Attempt(n, now, fresh.host, fresh.pid, from_step, down, superseded)
    values[str(n)] = attempt.to_json()
    store.write_run_values(old.id, ATTEMPTS, values)
    store.add_events(old.id, [_attempt_event(attempt, last, now)])
    return from_step


def _attempt_event(a: Attempt, last: int | None, now: float) -> EventRecord:
    """The event that shows an attempt on the run's timeline."""
    from trainboard.store.records import EventRecord

    if a.superseded is not None:
        title = f"attempt {a.n} resumed from step {a.from_step}"
        text = (
            f"{a.host} (pid {a.pid}) continues the run from the checkpoint at step "
            f"{a.from_step}; steps {a.superseded[0]}-{a.superseded[1]} of the attempt before "
            f"are kept as superseded (hidden from charts; shown on request); down "
            f"{a.down_s:.0f} s"
        )
        return EventRecord("attempt", title, text, "info", now, a.from_step)
    title = f"attempt {a.n} resumed at step {last if last is not None else 0}"
    text = f"{a.host} (pid {a.pid}) continues the run; down {a.down_s:.0f} s"
    return EventRecord("attempt", title, text, "info", now, last)


def resume_at_step(run: Run, step: int) -> None:
    """Make the attempt this process started (`init(resume=ID)`) a resume from checkpoint
    `step`, for an integration that learns the step only once the run is open (Lightning
    restores the checkpoint after it opened its logger's run). Nothing for a step at or past
    the run's own, or a run that records nothing."""
    st = run.state
    if st.writer is None or not st.enabled or step < 0 or step >= st.step:
        return
    last, st.step = st.step, step
    st.writer.enqueue_call(_rewind, (step, last))
    # in the store before any point of this attempt: a re-logged step written first would
    # replace the dead attempt's point at that step instead of superseding it
    st.writer.flush(timeout=_CREATE_WAIT)


def _rewind(store: Store, run_id: str, step: int, last: int) -> None:
    """In the writer thread, in order with the points: the newest attempt resumes from step."""
    import dataclasses

    from trainboard.store.attempts import NAMESPACE as ATTEMPTS
    from trainboard.store.attempts import attempts_of

    tried = attempts_of(store.read_run_values(run_id, ATTEMPTS))
    if not tried:
        return
    mine = dataclasses.replace(tried[-1], from_step=step, superseded=(step + 1, last))
    store.write_run_values(run_id, ATTEMPTS, {str(mine.n): mine.to_json()})
    store.update_run(run_id, last_step=step)
    store.add_events(run_id, [_attempt_event(mine, last, time.time())])


def _refuse_second_writer(old: RunRecord, fresh: RunRecord) -> None:
    """One writer per run: a run whose process is alive (on this host: its pid; elsewhere:
    a heartbeat within TRAINBOARD_HEARTBEAT_TIMEOUT) is not resumed by another."""
    from trainboard.analysis.status import effective_status

    if old.status != "running" or (old.host, old.pid) == (fresh.host, fresh.pid):
        return
    if effective_status(old) != "running":
        return  # its process died: resuming it is what resume is for
    beat = old.heartbeat_at or old.created_at
    raise UsageError(
        f"init(resume={old.id!r}): run {old.name!r} is still being written by process "
        f"{old.pid} on {old.host} (last heartbeat {max(0.0, time.time() - beat):.0f} s ago); "
        "two writers would overwrite each other's points. Wait for it to end, or pass "
        "fork=True to start a new run from it"
    )


def _fork(
    old: RunRecord,
    fresh: RunRecord,
    url: str,
    remote: str,
    name: str | None,
    tags: Sequence[str] | None,
    total_steps: int | None,
) -> Run:
    """A new run (new id) from `old`: its config (with this call's on top), name, tags, model
    and step counter; `notes` say where it came from."""
    fresh.project = old.project
    fresh.model = fresh.model or old.model
    fresh.config = {**old.config, **fresh.config}
    fresh.name = name or f"{old.name}-fork-{fresh.id[:4]}"
    fresh.tags = list(dict.fromkeys([*old.tags, *(tags or [])]))
    fresh.total_steps = total_steps or old.total_steps
    fresh.notes = fresh.notes or f"forked from run {old.id}"
    return _start(fresh, url, remote, create=True, resume_fields=None, last_step=old.last_step)


def _check_control(hang_after: float | None, stop: str) -> None:
    if stop not in ("flag", "raise"):
        raise UsageError(f'init(): stop must be "flag" or "raise", got {stop!r}')
    if hang_after is not None and (
        isinstance(hang_after, bool)
        or not isinstance(hang_after, (int, float))
        or not hang_after > 0
        or hang_after == float("inf")
    ):
        raise UsageError(
            f"init(): hang_after must be a positive number of seconds, got {hang_after!r}"
        )


def _start_sentinel(
    run: Run, url: str, remote: str, hang_after: float | None, *, resumed: bool
) -> None:
    interval = settings.control_interval()
    if interval > 0:
        from trainboard.sdk.sentinel import Sentinel

        sentinel = Sentinel(
            run, lambda: open_selected(url, remote), hang_after=hang_after, interval=interval
        )
        run.state.sentinel = sentinel
        sentinel.start(resumed)


def _claim(record: RunRecord, job: Job) -> dict[str, Any]:
    """What rank 0 writes over a run another rank (or the job's previous attempt, restarted
    by torchrun) created first: rank 0's own fields; running again after a restart (on the
    first attempt a rank that already failed the run keeps it failed)."""
    again: dict[str, Any] = {"status": "running", "finished_at": None} if job.restart else {}
    return {
        **again,
        "heartbeat_at": time.time(),
        "host": record.host,
        "pid": record.pid,
        "name": record.name,
        "model": record.model,
        "config": record.config,
        "tags": record.tags,
        "total_steps": record.total_steps,
        **({"notes": record.notes} if job.restart or record.notes else {}),
    }


def _start_rank(record: RunRecord, job: Job, url: str, remote: str, *, attach: bool) -> Run:
    """A rank other than 0: its Run checks input and stores no metric of its own (rank 0's
    are the run's); its reporter writes its rate, system metrics and end through a writer
    of its own (sdk/ranks.py). `attach`: the job resumes the stored run `record.id`
    (`init(resume=)`), which rank 0 re-opens; this rank writes to it and never creates it
    (a team server checks this token against the stored run, as for rank 0's resume)."""
    from trainboard.sdk.writer import Writer

    writer = Writer(
        record,
        remote or url,
        lambda: open_selected(url, remote),
        journal=None,
        store=_open_now(url, remote, run_id=record.id)
        if attach
        else _open_now(url, remote, record.project),
        create=not attach,
        flush_interval=settings.flush_interval(),
        heartbeat_interval=0,
    )
    writer.shared = True
    writer.start()
    run = Run(record, store_url=url, writer=None)
    run.state.enabled = False
    context.set_current(run)
    hooks.install(run, end)
    _report_rank(run, job, writer)
    return run


def _report_rank(run: Run, job: Job, writer: Writer | None) -> None:
    from trainboard.sdk.ranks import RankReporter

    if writer is None:
        return
    reporter = RankReporter(
        run.state,
        job,
        writer,
        interval=settings.system_interval(),
        beat=settings.heartbeat_interval(),
    )
    run.state.ranks = reporter
    reporter.start()


def _start_system(run: Run) -> None:
    interval = settings.system_interval()
    if interval > 0:
        from trainboard.sdk.system import SystemSampler

        sampler = run.state.system = SystemSampler(run.state.log_system, interval)
        sampler.start()


__all__ = ["INIT_HOOKS", "init", "resume_at_step"]
