"""The classifiers: every family on the same k-mer stem, and a known-answer motif model.

``StemClassifier``: tokens -> base embedding (N(0, 1)) -> causal convolution over ``stem_width``
bases -> GELU -> [learned positions] -> ``n_layers`` x (mixer, FNN) -> LayerNorm -> class logits
per position -> mean over the non-PAD positions (HyenaDNA's "pool" head). The stem is the same
for every family, so families differ only in their mixer. Per-base embeddings alone made both
families fail on motif order (validation accuracy 0.65 for the Transformer and 0.73 for the SSM
after 400 steps, against 0.99 with the stem): one layer of token mixing has to find the motifs
and relate them at once, the stem hands it "which 8-mer ends here". The GELU makes motif
detection a feature before any mixer; a linear stem followed by a linear long convolution and
mean pooling would see base composition only. Learned positions start at the scale of the stem's
output (N(0, 1)) rather than the library's 0.02, which would make them invisible next to it.

``MotifModel``: logistic regression on motif-match features, written over one-hot bases so that
every attribution method runs on it unchanged. A match of a motif pattern at t is the product of
the one-hot entries of its bases, so it is 1 on an exact match and 0 otherwise; the features are
the match sums per motif, weighted by (1 - t / L) when ``positional`` (which encodes the order of
two motifs). Its output depends on the motif bases only, so its important bases are known: it is
the positive control of every attribution measure.
"""

from __future__ import annotations

import numpy as np
import torch
from sklearn.linear_model import LogisticRegression
from torch import nn
from torch.nn import functional as F

from tokensel.genomic.sequences import PAD_ID, VOCAB_SIZE
from tokensel.genomic.motifs import strand_patterns
from tokensel.nn.config import ModelConfig
from tokensel.nn.models import SequenceModel

N_BASES = 4


class StemClassifier(nn.Module):
    """Token ids (batch, L) -> class logits (batch, n_classes)."""

    def __init__(self, config: ModelConfig, n_classes: int, max_len: int, stem_width: int):
        super().__init__()
        d_model = config.d_model
        self.body = SequenceModel(config, VOCAB_SIZE, max_len, n_outputs=n_classes)
        if isinstance(self.body.position, nn.Parameter):
            nn.init.normal_(self.body.position, std=1.0)
        self.stem_width = stem_width
        self.stem = nn.Conv1d(d_model, d_model, stem_width)

    def embed(self, tokens: torch.Tensor) -> torch.Tensor:
        return self.body.embed(tokens)

    def forward_embedded(self, x: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
        """Logits from base embeddings ``x`` (batch, L, d); ``keep`` (batch, L) is 1 on non-PAD tokens.
        Attribution methods differentiate through this."""
        kmers = F.gelu(self.stem(F.pad(x.transpose(1, 2), (self.stem_width - 1, 0))).transpose(1, 2))
        per_position = self.body.forward_embedded(kmers)
        keep = keep.to(per_position.dtype)[..., None]
        return (per_position * keep).sum(1) / keep.sum(1).clamp_min(1.0)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        return self.forward_embedded(self.embed(tokens), tokens != PAD_ID)


def one_hot_bases(tokens: torch.Tensor) -> torch.Tensor:
    """(batch, L) token ids -> (batch, L, 4) one-hot bases; N and PAD are all-zero rows."""
    return F.one_hot(tokens.clamp_max(N_BASES), N_BASES + 1)[..., :N_BASES].float()


class MotifModel(nn.Module):
    """Logistic regression on motif-match sums (module docstring)."""

    def __init__(self, motifs: tuple[str, ...], length: int, positional: bool, n_classes: int = 2):
        super().__init__()
        self.patterns = [[torch.as_tensor(p) for p in strand_patterns(m)] for m in motifs]
        self.length = length
        self.positional = positional
        self.linear = nn.Linear(len(motifs), n_classes)

    def embed(self, tokens: torch.Tensor) -> torch.Tensor:
        return one_hot_bases(tokens)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """(batch, n_motifs) match sums of one-hot inputs ``x`` (batch, L, 4)."""
        columns = []
        for patterns in self.patterns:
            total = torch.zeros(x.shape[0], dtype=x.dtype, device=x.device)
            for table in patterns:
                width = x.shape[1] - table.shape[0] + 1
                match = torch.ones(x.shape[0], width, dtype=x.dtype, device=x.device)
                for offset in range(table.shape[0]):
                    match = match * (x[:, offset : offset + width] * table[offset]).sum(-1)
                start = torch.arange(width, dtype=x.dtype, device=x.device)
                weight = 1 - start / self.length if self.positional else torch.ones_like(start)
                total = total + (match * weight).sum(1)
            columns.append(total)
        return torch.stack(columns, dim=-1)

    def forward_embedded(self, x: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
        return self.linear(self.features(x))

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        return self.forward_embedded(self.embed(tokens), tokens != PAD_ID)

    @torch.no_grad()
    def fit(self, tokens: np.ndarray, labels: np.ndarray, max_iter: int) -> MotifModel:
        """Fit the logistic regression (scikit-learn's default L2 strength) on the features of
        ``tokens`` (n, L); two classes get centred logits (-s/2, s/2) of the fitted score s."""
        features = self.features(self.embed(torch.as_tensor(tokens))).numpy()
        regression = LogisticRegression(max_iter=max_iter).fit(features, labels)
        weight, bias = regression.coef_, regression.intercept_
        if weight.shape[0] == 1:
            weight, bias = np.concatenate([-weight / 2, weight / 2]), np.concatenate([-bias / 2, bias / 2])
        self.linear.weight.copy_(torch.as_tensor(weight, dtype=torch.float32))
        self.linear.bias.copy_(torch.as_tensor(bias, dtype=torch.float32))
        return self
