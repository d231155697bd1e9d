"""Benchmarks: trainboard beside TensorBoard, MLflow, trackio, Aim and wandb (offline).

`make bench` (or `python -m bench.run [--only GROUP] [--quick] [--record]`) runs every workload
in its own process and prints one table; bench/RESULTS.md holds the last recorded run and
bench/NOTES.md says how each figure is measured. These are commands, never unit tests.
"""
