"""Per-base attributions of a classifier (``StemClassifier`` or ``MotifModel``): gradients and
in-silico mutagenesis.

A model here has ``embed(tokens)`` and ``forward_embedded(x, keep)``. The attributed quantity is
the **centred logit** of the target class, f_c(x) - mean_c' f_c'(x): with two classes it is half the
logit difference, so it ignores shifts shared by all logits (which change no prediction) and,
unlike a probability, it does not saturate for confidently classified inputs. Each method gives
one non-negative number per base:

* ``grad_norm``: ||df/de_j||, the gradient with respect to base j's embedding (saliency);
* ``grad_x_input``: |sum_d (df/de_j)_d e_jd|;
* ``integrated_gradients``: |sum_d IG_jd| from the all-zero embedding (Captum, Gauss-Legendre
  quadrature with ``ig_steps`` points);
* ``ism``: in-silico mutagenesis, the perturbation standard of genomics: the mean over the three
  other bases b of |f(x) - f(x with base j set to b)|. It needs no gradient, so it also sees what a
  gradient misses where the network is locally flat (saturated units), and it is the definition of
  "this base matters": changing it changes the output. 3 L forward passes per input.

N and PAD positions get zero importance (they are never mutated).
"""

from __future__ import annotations

import warnings

import numpy as np
import torch
from torch import nn

with warnings.catch_warnings():
    # captum imports tqdm.auto, which warns inside a kernel without ipywidgets; its bars are unused.
    warnings.filterwarnings("ignore", message="IProgress not found")
    from captum.attr import IntegratedGradients

from tokensel.genomic.sequences import PAD_ID

N_BASES = 4


def centred_logits(model: nn.Module):
    """Embeddings and PAD mask -> centred class logits (the function every method explains)."""

    def forward(x: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
        logits = model.forward_embedded(x, keep)
        return logits - logits.mean(dim=-1, keepdim=True)

    return forward


def target_score(model: nn.Module, tokens: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """(n,) centred logit of class ``targets`` for ``tokens`` (n, L)."""
    logits = centred_logits(model)(model.embed(tokens), tokens != PAD_ID)
    return logits.gather(1, targets[:, None])[:, 0]


def mutated_positions(length: int, positions: int | None) -> torch.Tensor:
    """The positions ISM mutates: all, or ``positions`` of them evenly spaced from the first to the last."""
    if positions is None or positions >= length:
        return torch.arange(length)
    return torch.arange(positions) * (length - 1) // max(positions - 1, 1)


@torch.no_grad()
def in_silico_mutagenesis(model: nn.Module, tokens: torch.Tensor, targets: torch.Tensor, positions: int | None = None) -> torch.Tensor:
    """(n, L) mean |change of the centred target logit| over the three substitutions of each base.

    Each input's 3 L single-base mutants go through the model as one batch: mutant (j, r) has base
    j replaced by (base + r) mod 4, r = 1, 2, 3, which runs over the three other bases. With
    ``positions`` only that many bases are mutated (``mutated_positions``); the others get zero.
    """
    length = tokens.shape[1]
    mutated = mutated_positions(length, positions).to(tokens.device)
    rows = []
    for sequence, target in zip(tokens, targets):
        original = sequence[mutated].clamp_max(N_BASES - 1)
        mutants = sequence.expand(len(mutated), N_BASES - 1, length).clone()
        for r in range(1, N_BASES):
            mutants[torch.arange(len(mutated), device=tokens.device), r - 1, mutated] = (original + r) % N_BASES
        scores = target_score(model, mutants.view(-1, length), target.expand(len(mutated) * (N_BASES - 1)))
        reference = target_score(model, sequence[None], target[None])
        row = scores.new_zeros(length)
        row[mutated] = (scores.view(len(mutated), N_BASES - 1) - reference).abs().mean(-1)
        rows.append(row)
    return torch.stack(rows) * (tokens < N_BASES)


@torch.no_grad()
def ism_reference(model: nn.Module, tokens: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """The definition of ``in_silico_mutagenesis``, one mutant at a time: its test oracle."""
    out = torch.zeros(tokens.shape, dtype=torch.float32)
    for i in range(tokens.shape[0]):
        reference = float(target_score(model, tokens[i : i + 1], targets[i : i + 1]))
        for j in range(tokens.shape[1]):
            if tokens[i, j] >= N_BASES:
                continue
            changes = []
            for base in range(N_BASES):
                if base != tokens[i, j]:
                    mutant = tokens[i : i + 1].clone()
                    mutant[0, j] = base
                    changes.append(abs(float(target_score(model, mutant, targets[i : i + 1])) - reference))
            out[i, j] = sum(changes) / len(changes)
    return out


def _gradient_methods(model: nn.Module, tokens: torch.Tensor, targets: torch.Tensor, methods: tuple[str, ...], ig_steps: int) -> dict[str, torch.Tensor]:
    keep = tokens != PAD_ID
    embedded = model.embed(tokens).detach()
    forward = centred_logits(model)
    out: dict[str, torch.Tensor] = {}
    if "grad_norm" in methods or "grad_x_input" in methods:
        x = embedded.clone().requires_grad_(True)
        score = forward(x, keep).gather(1, targets[:, None]).sum()
        (grad,) = torch.autograd.grad(score, x)
        out["grad_norm"] = grad.norm(dim=-1)
        out["grad_x_input"] = (grad * embedded).sum(-1).abs()
    if "integrated_gradients" in methods:
        integrated = IntegratedGradients(forward).attribute(
            embedded.requires_grad_(True), baselines=torch.zeros_like(embedded), target=targets,
            additional_forward_args=(keep,), n_steps=ig_steps, internal_batch_size=embedded.shape[0],
        )
        out["integrated_gradients"] = integrated.sum(-1).abs()
    return {m: v.detach() * keep for m, v in out.items() if m in methods}


def attribute(
    model: nn.Module, tokens: np.ndarray, targets: np.ndarray, methods: tuple[str, ...], ig_steps: int, batch_size: int,
    ism_positions: int | None = None,
) -> dict[str, np.ndarray]:
    """Method -> (n, L) non-negative importance of every base of ``tokens`` for class ``targets``
    (``ism_positions``: see ``in_silico_mutagenesis``).

    The model is put in eval mode and left there; its parameters receive no gradient.
    """
    model.eval()
    device = next(iter(model.parameters())).device
    requires_grad = [p.requires_grad for p in model.parameters()]
    for p in model.parameters():
        p.requires_grad_(False)
    try:
        chunks: dict[str, list[np.ndarray]] = {m: [] for m in methods}
        for start in range(0, len(tokens), batch_size):
            batch = torch.as_tensor(tokens[start : start + batch_size], device=device)
            target = torch.as_tensor(targets[start : start + batch_size], device=device)
            found = _gradient_methods(model, batch, target, methods, ig_steps)
            if "ism" in methods:
                found["ism"] = in_silico_mutagenesis(model, batch, target, ism_positions)
            for m in methods:
                chunks[m].append(found[m].cpu().numpy().astype(np.float64))
    finally:
        for p, flag in zip(model.parameters(), requires_grad):
            p.requires_grad_(flag)
    return {m: np.concatenate(parts) for m, parts in chunks.items()}
