"""Training one DNA classifier: AdamW, warm-up + cosine, random mini-batches with replacement,
with the validation loss logged along the way (it picks the learning rate and shows convergence).

A negative-control run trains on labels permuted within the training split (a permutation drawn
from the run's seed): the same inputs, architecture and optimisation, but no relation between a
sequence and its label, so whatever its attributions highlight was not learned from the task.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from tokensel.core.training import default_device, make_optimizer, optimization_step
from tokensel.genomic.config import GenomicTrain
from tokensel.genomic.datasets import GenomicDataset
from tokensel.genomic.models import StemClassifier
from tokensel.nn.config import ModelConfig


@dataclass(frozen=True)
class TrainedClassifier:
    model: StemClassifier
    log_steps: np.ndarray  # (n_logs,) step at the end of each logging window
    train_loss: np.ndarray  # (n_logs,) mean training loss over the window
    eval_steps: np.ndarray  # (n_evals,)
    val_loss: np.ndarray  # (n_evals,) on the true validation labels
    val_acc: np.ndarray  # (n_evals,)
    cpu_seconds: float


def permuted_labels(labels: np.ndarray, seed: int) -> np.ndarray:
    """The labels in an order drawn from ``seed``: the negative control's training targets."""
    return np.random.default_rng(seed).permutation(labels)


@torch.no_grad()
def predict_proba(model: nn.Module, sequences: np.ndarray, batch_size: int = 256) -> np.ndarray:
    """(n, C) class probabilities."""
    model.eval()
    device = next(model.parameters()).device
    parts = [
        model(torch.as_tensor(sequences[i : i + batch_size], device=device)).softmax(-1).cpu().numpy()
        for i in range(0, len(sequences), batch_size)
    ]
    return np.concatenate(parts)


def _validation(model: nn.Module, data: GenomicDataset) -> tuple[float, float]:
    probabilities = predict_proba(model, data.sequences)
    model.train()
    picked = probabilities[np.arange(len(data)), data.labels]
    return float(-np.log(np.clip(picked, 1e-12, None)).mean()), float((probabilities.argmax(1) == data.labels).mean())


def initialised_classifier(model_config: ModelConfig, train: GenomicDataset, settings: GenomicTrain, seed: int) -> StemClassifier:
    """A fresh classifier with the initialisation ``seed`` fixes (the randomisation control uses it
    untrained: same architecture, random weights)."""
    torch.manual_seed(seed)
    return StemClassifier(model_config, train.num_classes, train.seq_len, settings.stem_width).to(default_device())


def train_classifier(
    model_config: ModelConfig, train: GenomicDataset, val: GenomicDataset, settings: GenomicTrain,
    steps: int, lr: float, seed: int, shuffled: bool, label: str = "", lr_key: str = "genomic.datasets.<dataset>.lrs",
) -> TrainedClassifier:
    """A fresh classifier trained for ``steps`` steps at peak learning rate ``lr``; ``seed`` fixes
    the initialisation, the batch order and, with ``shuffled``, the label permutation. ``label``
    and ``lr_key`` (the params key of the learning rate) name the run if it diverges."""
    device = default_device()
    model = initialised_classifier(model_config, train, settings, seed)
    optimizer, schedule = make_optimizer(model, lr, steps, settings)
    targets = permuted_labels(train.labels, seed) if shuffled else train.labels
    sequences = torch.as_tensor(train.sequences, device=device)
    labels = torch.as_tensor(targets, device=device)
    generator = torch.Generator(device="cpu").manual_seed(seed)
    model.train()
    log_steps, losses, window, evals = [], [], [], []
    started = time.process_time()
    for step in range(steps):
        index = torch.randint(0, len(train), (settings.batch_size,), generator=generator).to(device)
        loss = nn.functional.cross_entropy(model(sequences[index]), labels[index])
        optimization_step(model, loss, optimizer, schedule, settings.grad_clip, (label, step, lr, lr_key))
        window.append(loss.item())
        if (step + 1) % settings.log_every == 0 or step + 1 == steps:
            log_steps.append(step + 1)
            losses.append(float(np.mean(window)))
            window = []
        if (step + 1) % settings.eval_every == 0 or step + 1 == steps:
            evals.append((step + 1, *_validation(model, val)))
    model.eval()
    eval_steps, val_loss, val_acc = (np.array(column) for column in zip(*evals))
    return TrainedClassifier(
        model, np.array(log_steps), np.array(losses), eval_steps, val_loss, val_acc, time.process_time() - started
    )
