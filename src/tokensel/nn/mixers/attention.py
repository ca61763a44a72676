"""Multi-head causal softmax attention (the Transformer's mixer) through
``torch.nn.functional.scaled_dot_product_attention``; ``naive_attention`` is its slow oracle."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F

from tokensel.core.params import PositiveInt


@dataclass(frozen=True)
class AttentionOptions:
    n_heads: PositiveInt = 4


class CausalSelfAttention(nn.Module):
    def __init__(self, d_model: int, options: AttentionOptions, max_len: int):
        super().__init__()
        if d_model % options.n_heads:
            raise ValueError(f"d_model ({d_model}) must be divisible by n_heads ({options.n_heads})")
        self.n_heads = options.n_heads
        self.qkv = nn.Linear(d_model, 3 * d_model)
        self.out_proj = nn.Linear(d_model, d_model)

    def heads(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        b, length, d = x.shape
        qkv = self.qkv(x).view(b, length, 3, self.n_heads, d // self.n_heads)
        q, k, v = qkv.permute(2, 0, 3, 1, 4)  # each (B, heads, L, head_dim)
        return q, k, v

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        q, k, v = self.heads(x)
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        return self.out_proj(y.transpose(1, 2).flatten(2))


def naive_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """softmax(QK^T / sqrt(d) + causal mask) V, materialised; the oracle for SDPA."""
    length = q.shape[-2]
    scores = q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1])
    future = torch.triu(torch.ones(length, length, dtype=torch.bool, device=q.device), diagonal=1)
    return scores.masked_fill(future, float("-inf")).softmax(-1) @ v
