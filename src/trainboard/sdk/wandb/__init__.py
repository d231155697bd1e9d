"""wandb compatibility, in one package: what lets a wandb script run unchanged on trainboard.

    init.py       init() with every argument wandb's takes, and wandb's module-level config
    compat.py     define_metric's step metrics and globs, nested dicts and data types in log(),
                  alert(), save(), artifacts and the end of a run
    config.py     run.config and run.summary as wandb scripts use them
    datatypes.py  wandb's data types (Image, Histogram, Table...)
    methods.py    the wandb-only methods of Run
    perrun.py     WandbState and MetricDefs: what it keeps per run (imports nothing of ours)
    watch.py      watch()/unwatch(): gradients and parameters of a torch model

What it keeps per run is one `WandbState` (perrun.py) on the run's `RunState` (sdk/state.py).
The faces are `trainboard` itself and `trainboard.wandb` (a module that can stand in as
`wandb`); `python -m trainboard.wandb_run` runs a script with `import wandb` served by it.
"""
