"""The SDK: what a training loop calls (`init`, `log`, `finish`) and the threads behind it.

run.py      the Run object: validate, timestamp, journal (no I/O in the caller)
state.py    RunState: what a run holds, taken by the helpers below instead of the Run
surface.py  RunSurface: the protocol helpers name when they need more of the run than its
            state (so no helper imports run.py, and run.py imports them all)
attached.py texts, histograms and artifacts: checked, stepped and queued in the caller
finish.py   how a run ends (finish(), a with block, exit hooks), in one order
start.py    init(): arguments, the store, the journal and writer, resume, start-up hooks
writer.py   the background writer thread: when to write, heartbeats, retries, closing
pending.py  what the writer holds for the store: queues, batches, the dead-letter file
system.py   the system metrics sampler (CPU, RAM; GPU through NVML when present)
hooks.py    atexit / excepthook / signal handlers that give a run its final status
torchrun.py torchrun rank awareness (rank 0 logs by default)
ranks.py    what each rank of a job reports into its one run (rates, system, heartbeat, end)
context.py  the current run, for the module-level trainboard.log()
"""
