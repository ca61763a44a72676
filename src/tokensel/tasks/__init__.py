"""The token-task registry: synthetic sequence tasks chosen by name, shared by every experiment.

A task is one file in this folder (a frozen dataclass, see ``tokensel.tasks.base.Task``) and one
line in ``TASKS``. ``build_task`` makes a task of a given size from its params entry.
"""

from __future__ import annotations

from typing import Any, Mapping

from tokensel.core.params import build
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


def build_task(name: str, spec: Mapping[str, Any], size: int, key: str) -> Task:
    """Task ``name`` of size ``size`` from its params entry ``spec`` (without ``sizes``) at ``key``."""
    return build(TASKS[name], {**spec, "size": size}, key)


__all__ = [
    "IGNORE", "TASKS", "Batch", "Task", "answer_accuracy", "answer_loss", "batch_shortcut_accuracy", "build_task", "sample", "shortcut_accuracy", "shortcut_score", "split_rng",
]
