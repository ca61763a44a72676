"""A sequence classifier on top of :class:`tokensel.models.SequenceModel`.

The library model is causal and emits one output vector per position. For a label per sequence
the per-position class logits are **mean-pooled over the non-PAD positions** (HyenaDNA's default
"pool" head). The alternative, reading out the last position, makes the answer depend on how
far back a causal layer can see; pooling lets every position vote. Because the readout is
linear, pooling the logits equals pooling the features before the readout.

Causality biases attributions under pooling: token j reaches the outputs at positions j..L-1,
so early tokens have more paths to the logit. The input-dependence measures compare against a
position-only baseline for exactly this reason.
"""

from __future__ import annotations

import torch
from torch import nn

from tokensel.genomic.sequences import PAD_ID, VOCAB_SIZE
from tokensel.nn.config import ModelConfig
from tokensel.nn.models import SequenceModel


class GenomicClassifier(nn.Module):
    """Token ids (batch, L) -> class logits (batch, n_classes)."""

    def __init__(self, config: ModelConfig, n_classes: int, d_model: int, max_len: int):
        super().__init__()
        self.body = SequenceModel(config, VOCAB_SIZE, d_model, max_len, n_outputs=n_classes)

    def embed(self, tokens: torch.Tensor) -> torch.Tensor:
        return self.body.embed(tokens)

    def forward_embedded(self, x: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
        """Logits from embeddings ``x`` (batch, L, d); ``keep`` (batch, L) is 1 on non-PAD tokens."""
        per_position = self.body.forward_embedded(x)
        keep = keep.to(per_position.dtype)[..., None]
        return (per_position * keep).sum(1) / keep.sum(1).clamp_min(1.0)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        return self.forward_embedded(self.embed(tokens), tokens != PAD_ID)
