"""The shared core every experiment builds on: params, errors, paths, optimiser settings and training,
the run engine and store, run files, statistics. What presents results (figures, tables, pages) is
``tokensel.present``.

Nothing here imports an experiment, and ``tokensel.core.runs`` (the combine step) imports no torch.
"""
