"""The run journal of the SDK's writer (files.py) and the recovery of dead writers' journals
(recovery.py): what log() accepted survives a killed process.

Why not in store/ or sdk/: the store contract knows nothing of journals, and recovery runs
whenever any trainboard process opens a store (store/factory.py), report/ below the SDK
included. It sits beside the store (layer 1) and imports only its contract."""
