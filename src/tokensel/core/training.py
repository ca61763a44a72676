"""What every experiment's training loop shares: the optimiser built from the shared settings
(``tokensel.core.optim.OptimConfig``), its schedule, one optimisation step and the device. Runs
are executed, and kept, by ``tokensel.core.engine``.

Each experiment keeps its own loop (online token batches, a fixed regression training set,
DNA classification), because those really differ; the pieces below do not. Learning rates and
step counts stay with each experiment: they are swept along different axes (per task, per n,
per model family and dataset), and each experiment resolves them once when its params load.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from tokensel.core.errors import TrainingDiverged
from tokensel.core.optim import OptimConfig


def default_device() -> torch.device:
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def param_groups(model: nn.Module, weight_decay: float) -> list[dict]:
    """AdamW groups: only the weights of linear maps and convolutions are decayed.

    Not decayed: the input embedding (a lookup table, or the linear embedding of continuous
    inputs), learned positions, filter taps and state matrices (``A_log`` of the selective SSM
    included), short-convolution taps, norms, biases and per-channel scales. Shrinking those
    towards zero changes what the model represents or how far back it remembers, not just its
    scale (S4 and Mamba practice); learned positions decayed to zero vanish next to the tokens.
    """
    decayed = {
        id(module.weight)
        for name, module in model.named_modules()
        if isinstance(module, (nn.Linear, nn.Conv1d)) and not name.endswith("embedding")
    }
    decay = [p for p in model.parameters() if id(p) in decayed]
    no_decay = [p for p in model.parameters() if id(p) not in decayed]
    return [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]


def cosine_with_warmup(total: int, warmup_fraction: float):
    warmup = max(int(total * warmup_fraction), 1)

    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        progress = (step - warmup) / max(total - warmup, 1)
        return 0.5 * (1.0 + math.cos(math.pi * min(progress, 1.0)))

    return factor


def make_optimizer(
    model: nn.Module, lr: float, steps: int, optim: OptimConfig
) -> tuple[torch.optim.Optimizer, torch.optim.lr_scheduler.LambdaLR]:
    """AdamW over ``param_groups`` with linear warmup then cosine decay to zero over ``steps``."""
    fused = all(p.device.type in ("cpu", "cuda") for p in model.parameters())
    optimizer = torch.optim.AdamW(param_groups(model, optim.weight_decay), lr=lr, fused=fused)
    return optimizer, torch.optim.lr_scheduler.LambdaLR(optimizer, cosine_with_warmup(steps, optim.warmup_fraction))


def check_finite(loss: torch.Tensor, label: str, step: int, lr: float, lr_key: str) -> None:
    """Stop a diverged run with a message that names it and the parameter to change."""
    if not torch.isfinite(loss):
        raise TrainingDiverged(
            f"{label}: loss became {loss.item()} at step {step} with lr={lr:g}. "
            f"Lower the learning rate ({lr_key}) or the gradient clip."
        )


def optimization_step(
    model: nn.Module,
    loss: torch.Tensor,
    optimizer: torch.optim.Optimizer,
    schedule: torch.optim.lr_scheduler.LambdaLR,
    grad_clip: float,
    where: tuple[str, int, float, str],
) -> None:
    """Check the loss, backpropagate, clip, step the optimizer and the schedule.

    ``where`` = (run label, step, lr, params key of the learning rate) for the divergence message.
    """
    check_finite(loss, *where)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
    optimizer.step()
    schedule.step()
