"""The shared core every experiment builds on: params, errors, paths, training, run files, statistics, figures.

Nothing here imports an experiment, and ``tokensel.core.runs`` (the combine step) imports no torch.
"""
