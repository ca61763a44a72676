"""Per-token attributions for a :class:`GenomicClassifier`: gradients through Captum, and
in-silico mutagenesis.

The attributed quantity is the **centred logit** of the target class, f_c(x) - mean_c' f_c'(x):
with two classes it is half the logit difference, so it ignores any shift shared by all logits
(which changes no prediction) and, unlike the log-probability, it does not saturate for
confidently classified inputs.

Attributions are taken with respect to the token embeddings e_j in R^d and reduced to one
non-negative number per token:

* ``grad_norm``: ||d f / d e_j||_2, the most common saliency map in the literature;
* ``grad_x_input``: |sum_d (d f / d e_j)_d e_jd|;
* ``integrated_gradients``: |sum_d IG_jd| with the all-zero embedding as baseline; the path
  integral is Captum's default Gauss-Legendre quadrature with ``ig_steps`` points.
* ``ism``: in-silico mutagenesis, the perturbation standard of genomics (DeepSEA, Basset): the
  mean over the three other bases b of |f(x) - f(x with base j set to b)|. It needs no gradient,
  so it also sees what a gradient misses where the model is locally flat (saturated units); it
  costs 3 L forward passes per input. N and PAD positions are not mutated.

Magnitudes are used because the question is which tokens matter, not in which direction. PAD
positions get zero importance.
"""

from __future__ import annotations

import warnings

import numpy as np
import torch
with warnings.catch_warnings():
    # captum imports tqdm.auto, which warns inside a kernel without ipywidgets; its bars are unused.
    warnings.filterwarnings("ignore", message="IProgress not found")
    from captum.attr import InputXGradient, IntegratedGradients, Saliency

from tokensel.core.errors import ConfigError
from tokensel.genomic.classifier import GenomicClassifier
from tokensel.genomic.sequences import ALPHABET, PAD_ID

METHODS = ("grad_norm", "grad_x_input", "integrated_gradients", "ism")


def centred_target_logit(model: GenomicClassifier):
    """The function Captum differentiates: embeddings (and PAD mask) -> centred class logits."""

    def forward(x: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
        logits = model.forward_embedded(x, keep)
        return logits - logits.mean(dim=-1, keepdim=True)

    return forward


def _target_score(model: GenomicClassifier, tokens: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    logits = centred_target_logit(model)(model.embed(tokens), tokens != PAD_ID)
    return logits.gather(1, targets[:, None])[:, 0]


@torch.no_grad()
def in_silico_mutagenesis(model: GenomicClassifier, tokens: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """(n, L) mean |change of the centred target logit| over the three substitutions of each base."""
    n_bases = len(ALPHABET)
    length = tokens.shape[1]
    positions = torch.arange(length, device=tokens.device)
    bases = torch.arange(n_bases, device=tokens.device)
    rows = []
    for sequence, target in zip(tokens, targets):  # one input at a time: L x 4 mutants of length L
        # Mutant (j, b) is the input with position j set to base b; b equal to the original base
        # reproduces the input and adds zero to the sum.
        mutants = sequence.expand(length, n_bases, length).clone()
        mutants[positions, :, positions] = bases
        scores = _target_score(model, mutants.view(-1, length), target.expand(length * n_bases)).view(length, n_bases)
        reference = _target_score(model, sequence[None], target[None])
        rows.append((scores - reference).abs().sum(-1) / (n_bases - 1))
    return torch.stack(rows) * (tokens < n_bases)  # N and PAD are never mutated


def _attribute_batch(
    model: GenomicClassifier, tokens: torch.Tensor, targets: torch.Tensor, method: str, ig_steps: int
) -> torch.Tensor:
    if method == "ism":
        return in_silico_mutagenesis(model, tokens, targets)
    forward = centred_target_logit(model)
    keep = tokens != PAD_ID
    embedded = model.embed(tokens).detach().requires_grad_(True)
    if method == "grad_norm":
        grads = Saliency(forward).attribute(embedded, target=targets, abs=False, additional_forward_args=(keep,))
        per_token = grads.norm(dim=-1)
    elif method == "grad_x_input":
        product = InputXGradient(forward).attribute(embedded, target=targets, additional_forward_args=(keep,))
        per_token = product.sum(-1).abs()
    else:
        integrated = IntegratedGradients(forward).attribute(
            embedded,
            baselines=torch.zeros_like(embedded),
            target=targets,
            additional_forward_args=(keep,),
            n_steps=ig_steps,
            internal_batch_size=embedded.shape[0],
        )
        per_token = integrated.sum(-1).abs()
    return per_token * keep


def attribute(
    model: GenomicClassifier,
    tokens: np.ndarray,
    targets: np.ndarray,
    method: str,
    ig_steps: int = 32,
    batch_size: int = 64,
) -> np.ndarray:
    """(n, L) non-negative importance of every token of ``tokens`` for class ``targets``.

    The model is put in eval mode (no dropout exists, but LayerNorm/attention stay deterministic)
    and left there; parameters receive no gradient.
    """
    if method not in METHODS:
        raise ConfigError(f"Unknown attribution method '{method}'; choose from {', '.join(METHODS)}.")
    if ig_steps < 2:
        raise ConfigError(f"ig_steps must be at least 2, got {ig_steps}.")
    model.eval()
    device = next(model.parameters()).device
    requires_grad = [p.requires_grad for p in model.parameters()]
    for p in model.parameters():
        p.requires_grad_(False)
    try:
        chunks = []
        for start in range(0, len(tokens), batch_size):
            batch = torch.as_tensor(tokens[start : start + batch_size], device=device)
            target = torch.as_tensor(targets[start : start + batch_size], device=device)
            chunks.append(_attribute_batch(model, batch, target, method, ig_steps).detach().cpu().numpy())
    finally:
        for p, flag in zip(model.parameters(), requires_grad):
            p.requires_grad_(flag)
    return np.concatenate(chunks).astype(np.float64)
