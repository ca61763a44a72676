"""The token-task registry: synthetic sequence tasks chosen by name, shared by every experiment.

A task is one file in this folder (a frozen dataclass, see ``tokensel.tasks.base.Task``) and one
line in ``TASKS``.
"""

from __future__ import annotations

from tokensel.tasks.base import (
    IGNORE, Batch, Task, answer_accuracy, answer_loss, batch_shortcut_accuracy, sample, shortcut_accuracy, shortcut_score, split_rng,
)
from tokensel.tasks.copy import CopyTask
from tokensel.tasks.mqar import MQARTask
from tokensel.tasks.recall import RecallTask

TASKS: dict[str, type] = {
    "copy": CopyTask,
    "recall": RecallTask,
    "mqar": MQARTask,
}


__all__ = [
    "IGNORE", "TASKS", "Batch", "Task", "answer_accuracy", "answer_loss", "batch_shortcut_accuracy", "sample", "shortcut_accuracy", "shortcut_score", "split_rng",
]
