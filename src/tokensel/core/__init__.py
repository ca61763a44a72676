"""The shared core every experiment computes with: params, errors, paths, training, the run store
and engine, run files, statistics and the verdict words. What shows results is in ``tokensel.present``.

Nothing here imports an experiment or ``tokensel.present``, and ``tokensel.core.runs`` (the combine
step) imports no torch.
"""
