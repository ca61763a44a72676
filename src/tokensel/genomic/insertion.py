"""The motif-insertion test: does writing a class's motif into an input raise that class's logit?

For each class c, motif-free test inputs of the other classes (no occurrence of any class's motif
on either strand) receive one instance of one of c's motifs (a random variant, strand and
position) and, separately, the same bases shuffled at the same position. The effect of the motif
is the change in the centred logit of class c with the motif minus the change with the shuffled
bases: composition and position are the same, only the motif's order differs. A model that
detects c's motif shows a positive effect; one that ignores it (for example one that reads the
other class's motif only and calls its absence c) shows none. Attribution maps cannot hide that.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from tokensel.core.errors import ConfigError
from tokensel.genomic.datasets import GenomicDataset
from tokensel.genomic.motifs import parse_consensus, sample_instance, union_motif_mask


@dataclass(frozen=True)
class InsertionSet:
    """Motif-free inputs (n, L), the same with a motif written in, the same with its bases
    shuffled, and the class whose motif was inserted (n,)."""

    original: np.ndarray
    inserted: np.ndarray
    shuffled: np.ndarray
    target: np.ndarray

    def __len__(self) -> int:
        return int(self.target.shape[0])


def _insert(sequence: np.ndarray, motifs: tuple[str, ...], every_motif: tuple[str, ...], rng: np.random.Generator, tries: int = 100):
    """(with the motif, with its bases shuffled) for one sequence, or None: the first must hold
    exactly the written occurrence, the second no motif at all."""
    length = len(sequence)
    for _ in range(tries):
        bases = sample_instance(parse_consensus(motifs[rng.integers(len(motifs))]), rng)
        start = int(rng.integers(0, length - len(bases) + 1))
        inserted, shuffled = sequence.copy(), sequence.copy()
        inserted[start : start + len(bases)] = bases
        shuffled[start : start + len(bases)] = rng.permutation(bases)
        written = np.zeros(length, dtype=bool)
        written[start : start + len(bases)] = True
        scans = union_motif_mask(np.stack([inserted, shuffled]), every_motif)
        if (scans[0] <= written).all() and scans[0].any() and not scans[1].any():
            return inserted, shuffled
    return None


def insertion_set(test: GenomicDataset, class_motifs: tuple[tuple[str, ...], ...], n_per_class: int, seed: int) -> InsertionSet:
    """Per class c, up to ``n_per_class`` motif-free test inputs of the other classes with one of
    c's motifs inserted (module docstring); a pure function of its arguments and ``seed``."""
    rng = np.random.default_rng(seed)
    every_motif = tuple(dict.fromkeys(m for motifs in class_motifs for m in motifs))
    free = ~union_motif_mask(test.sequences, every_motif).any(axis=1)
    rows: list[tuple[np.ndarray, np.ndarray, np.ndarray, int]] = []
    for c, motifs in enumerate(class_motifs):
        taken = 0
        for i in np.flatnonzero(free & (test.labels != c)).tolist():
            if taken == n_per_class:
                break
            pair = _insert(test.sequences[i], motifs, every_motif, rng)
            if pair is not None:
                rows.append((test.sequences[i], *pair, c))
                taken += 1
    if not rows:
        raise ConfigError(f"dataset '{test.name}': no motif-free test input could take a motif; check the class motifs.")
    original, inserted, shuffled = (np.stack([r[j] for r in rows]) for j in range(3))
    return InsertionSet(original, inserted, shuffled, np.array([r[3] for r in rows], dtype=np.int64))


@torch.no_grad()
def insertion_effects(model: nn.Module, insertion: InsertionSet, batch_size: int = 256) -> dict[str, np.ndarray]:
    """(n,) change of the centred logit of the target class when the motif is written in, and when
    its shuffled bases are."""
    model.eval()
    device = next(iter(model.parameters())).device
    target = torch.as_tensor(insertion.target, device=device)

    def score(tokens: np.ndarray) -> np.ndarray:
        # The centred logit, as the attribution methods explain it (tokensel.genomic.attribution).
        parts = []
        for i in range(0, len(tokens), batch_size):
            logits = model(torch.as_tensor(tokens[i : i + batch_size], device=device))
            parts.append((logits - logits.mean(-1, keepdim=True)).gather(1, target[i : i + batch_size, None])[:, 0].cpu().numpy())
        return np.concatenate(parts).astype(np.float64)

    before = score(insertion.original)
    return {"motif": score(insertion.inserted) - before, "shuffled": score(insertion.shuffled) - before}


def insertion_variables(model: nn.Module, insertion: InsertionSet | None, prefix: str = "") -> dict[str, tuple]:
    """The effects as result variables over the ``inserted`` inputs (none without an insertion set)."""
    if insertion is None:
        return {}
    effects = insertion_effects(model, insertion)
    return {f"{prefix}insertion_{kind}": (("inserted",), values) for kind, values in effects.items()}
