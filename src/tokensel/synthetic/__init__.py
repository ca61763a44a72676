"""The synthetic-task experiment (the paper's Figure C.1): input copying and associative recall.

``config`` (the ``synthetic:`` params section) -> ``train`` (one model, one task size, one seed,
one learning rate) -> ``stage`` (one DVC cell: a task x model over sizes, seeds and learning rates)
-> ``analysis`` (verdict, tables, metrics) and ``plots``. The tasks come from ``tokensel.tasks``.
"""
