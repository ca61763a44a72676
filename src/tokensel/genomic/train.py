"""Training one DNA classifier: AdamW, warm-up + cosine, random mini-batches with replacement."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from tqdm import (
    tqdm,  # text bars: tqdm.auto would need ipywidgets inside the papermill kernel
)

from tokensel.core.training import default_device, make_optimizer, optimization_step
from tokensel.genomic.classifier import GenomicClassifier
from tokensel.genomic.config import GenomicTrain
from tokensel.genomic.datasets import GenomicDataset
from tokensel.nn.config import ModelConfig


@dataclass(frozen=True)
class TrainedClassifier:
    model: GenomicClassifier
    loss_steps: np.ndarray  # (n_logs,) step at the end of each logging window
    train_loss: np.ndarray  # (n_logs,) mean training loss over the window
    seconds: float


def train_classifier(
    model_config: ModelConfig, data: GenomicDataset, settings: GenomicTrain, seed: int, label: str = ""
) -> TrainedClassifier:
    """Train a fresh classifier on ``data``; ``seed`` fixes initialisation and batch order."""
    device = default_device()
    if device.type == "cpu":
        torch.set_num_threads(settings.cpu_threads)
    torch.manual_seed(seed)
    model = GenomicClassifier(model_config, data.num_classes, settings.d_model, data.seq_len).to(device)
    optimizer, schedule = make_optimizer(model, settings.lr, settings.weight_decay, settings.steps, settings.warmup_fraction)
    sequences = torch.as_tensor(data.sequences, device=device)
    labels = torch.as_tensor(data.labels, device=device)
    generator = torch.Generator(device="cpu").manual_seed(seed)
    model.train()
    steps, losses, window = [], [], []
    started = time.perf_counter()
    progress = tqdm(range(settings.steps), desc=label, leave=False, mininterval=5.0)
    for step in progress:
        index = torch.randint(0, len(data), (settings.batch_size,), generator=generator).to(device)
        loss = nn.functional.cross_entropy(model(sequences[index]), labels[index])
        optimization_step(model, loss, optimizer, schedule, settings.grad_clip, (label, step, settings.lr, "genomic.train.lr"))
        window.append(loss.item())
        if (step + 1) % settings.log_every == 0 or step + 1 == settings.steps:
            steps.append(step + 1)
            losses.append(float(np.mean(window)))
            window = []
            progress.set_postfix(loss=f"{losses[-1]:.3f}")
    return TrainedClassifier(model, np.asarray(steps), np.asarray(losses), time.perf_counter() - started)


@torch.no_grad()
def predict_proba(model: GenomicClassifier, sequences: np.ndarray, batch_size: int = 256) -> np.ndarray:
    """(n, C) class probabilities."""
    model.eval()
    device = next(model.parameters()).device
    parts = [
        model(torch.as_tensor(sequences[i : i + batch_size], device=device)).softmax(-1).cpu().numpy()
        for i in range(0, len(sequences), batch_size)
    ]
    return np.concatenate(parts)
