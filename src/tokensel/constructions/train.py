"""The bridge from constructions to training: perturb a construction, then fine-tune it like a
trained model (the shared optimiser, schedule, clipping and answer-only cross-entropy on fresh
batches of the same task), or train the same architecture from its default initialisation.

Noise of relative size sigma adds sigma * rms(tensor) * N(0, 1) to every entry of every tensor
(rms over the tensor's non-zero entries; tensors the construction leaves at zero use the rms of all
non-zero parameters), so sigma = 1 is noise as large as the weights. Noise on the "support" touches
only the entries the construction sets to non-zero values.
"""

from __future__ import annotations

import copy

import torch
from torch import nn

from tokensel.constructions.config import BridgeConfig
from tokensel.constructions.copying import build_copy
from tokensel.constructions.evaluate import timed
from tokensel.constructions.recall import build_recall
from tokensel.core.training import make_optimizer, optimization_step
from tokensel.nn.models import SequenceModel
from tokensel.tasks import Task, answer_accuracy, answer_loss, sample
from tokensel.tasks.copy import CopyTask
from tokensel.tasks.recall import RecallTask

BRIDGE_DTYPE = "float32"  # what training runs in


def nonzero_rms(values: torch.Tensor) -> float:
    nonzero = values[values != 0]
    return float(nonzero.pow(2).mean().sqrt()) if nonzero.numel() else 0.0


def perturbed(model: nn.Module, sigma: float, seed: int, support_only: bool = False) -> nn.Module:
    """A copy of ``model`` with relative Gaussian noise ``sigma`` (see the module docstring)."""
    noisy = copy.deepcopy(model)
    generator = torch.Generator().manual_seed(seed)
    overall = nonzero_rms(torch.cat([p.detach().flatten() for p in model.parameters()]))
    with torch.no_grad():
        for parameter in noisy.parameters():
            noise = torch.randn(parameter.shape, generator=generator, dtype=torch.float64).to(parameter.dtype)
            if support_only:
                noise = noise * (parameter != 0)
            parameter.add_(sigma * (nonzero_rms(parameter) or overall) * noise)
    return noisy


def bridge_task(cfg: BridgeConfig, task: str) -> tuple[Task, SequenceModel]:
    """The task and the construction the bridge starts from (readout scaled by ``readout_scale``)."""
    if task == "copy":
        instance = CopyTask(cfg.copy_size, cfg.copy_vocab)
        return instance, build_copy(cfg.copy_size, cfg.copy_vocab, cfg.copy_digits, 2, BRIDGE_DTYPE,
                                    readout_scale=cfg.readout_scale, key="constructions.bridge")
    instance = RecallTask(cfg.recall_size, cfg.recall_vocab, "all")
    return instance, build_recall(cfg.recall_size, cfg.recall_vocab, instance.queries, BRIDGE_DTYPE,
                                  readout_scale=cfg.readout_scale, key="constructions.bridge")


@timed
def bridge_run(cfg: BridgeConfig, task: str, start: str, sigma: float, seed: int) -> dict[str, float]:
    """Test accuracy before and after fine-tuning, and the final training loss, of one start:
    the construction with noise on ``all`` entries or on its ``support``, or ``scratch`` (the same
    architecture at its default initialisation, seeded by ``seed``)."""
    instance, construction = bridge_task(cfg, task)
    if start == "scratch":
        torch.manual_seed(seed)
        model = SequenceModel(construction.config, instance.n_tokens, instance.seq_len).to(construction.readout.weight.dtype)
    else:
        model = perturbed(construction, sigma, seed, support_only=start == "support")
    device = torch.device("cpu")
    test = sample(instance, cfg.n_test, seed, "test")
    before = answer_accuracy(model, test, device)[0]
    optimizer, schedule = make_optimizer(model, cfg.lr, cfg.steps, cfg)
    loss = torch.tensor(float("nan"))
    for step in range(cfg.steps):
        batch = sample(instance, cfg.batch_size, seed, "train", step)
        loss = answer_loss(model(batch.inputs), batch.labels)
        where = (f"bridge/{task}/{start}/sigma={sigma:g}/seed={seed}", step, cfg.lr, "constructions.bridge.lr")
        optimization_step(model, loss, optimizer, schedule, cfg.grad_clip, where)
    return {"acc_before": before, "acc_after": answer_accuracy(model, test, device)[0], "final_loss": float(loss.detach())}
