"""Lemma 3.3 (selection by a key-query inner product) as one FNN -> SSM -> FNN block.

Token t carries a key k_t and a query q_t in [-1, 1]^d and a value v_t in [-1, 1]^dv; the target
at t is v_s for s = argmax <q_t, k_s> over the window t - U < s <= t (``data.selection_batch``).

* Pre-FNN (token-wise, before any mixing): the squared key norm |k_t|^2 by a piecewise-linear
  interpolation of x^2 on [-1, 1], and copies of k_t, v_t, |k_t|^2 and a validity flag into U slots.
* SSM: a delay line, slot l holding the token l steps back (zeros, "invalid", before the start).
  A convolution cannot multiply two positions' features, so it brings the window's keys to the
  query instead of weighting them by a score; this is why the width grows with U.
* Post-FNN: score_l = (|k_l|^2 - |q - k_l|^2) / 2 = <q, k_l> - |q|^2 / 2 (the same argmax), with
  |q - k_l|^2 interpolated on [-2, 2]; pairwise tests relu((score_l' - score_l) 2/delta + 1), whose
  sum over l' is exactly 0 for the argmax and at least 1 for every other slot when the margin is at
  least delta; gates relu(+-v_l - sum) pass the argmax's value and nothing else.

The interpolation spacing h <= sqrt(delta / d) keeps every score within delta / 4 of the truth
(each squared coordinate is off by at most h^2 / 4), so the output is exact at margins >= delta.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from tokensel.constructions.network import (
    DTYPES, Registers, blank_model, block_parts, check_precision, linears, require, ssm_config, write_delay_line,
)
from tokensel.nn.models import SequenceModel

DEPTH = 3


@dataclass(frozen=True)
class SelectionShape:
    window: int  # U
    key_dim: int  # d
    value_dim: int  # dv
    margin: float  # delta: exact whenever best - second best score >= delta

    @property
    def intervals(self) -> int:
        """Interpolation intervals on [-1, 1]: spacing 2 / n <= sqrt(delta / d)."""
        return math.ceil(2.0 / math.sqrt(self.margin / self.key_dim))

    @property
    def input_dim(self) -> int:
        return 2 * self.key_dim + self.value_dim


def selection_bits_needed(shape: SelectionShape) -> float:
    """The pairwise tests amplify rounding of the O(d) scores by 2 / delta over U slots; keep it below 1/8."""
    return math.log2(128 * shape.key_dim * shape.window / shape.margin)


def selection_layout(shape: SelectionShape) -> tuple[Registers, int]:
    U, d, dv, n = shape.window, shape.key_dim, shape.value_dim, shape.intervals
    regs = Registers()
    regs.add("key", d)
    regs.add("query", d)
    regs.add("value", dv)
    regs.add("one")
    regs.add("slot_key", U, d)
    regs.add("slot_value", U, dv)
    regs.add("slot_norm", U)
    regs.add("slot_valid", U)
    regs.add("out", dv)
    post_hidden = (U * d * 2 * n + 2 * U + 2 * U * dv, U * (U - 1) + 2 * U * dv, 2 * U * dv)
    pre_hidden = d * n + 2 * d + 2 * dv + 1
    return regs, max(pre_hidden, *post_hidden)


def square_knots(bound: float, intervals: int) -> tuple[torch.Tensor, torch.Tensor, float]:
    """x^2 on [-bound, bound] ~ bound^2 + sum_a coef_a relu(x - knot_a): the linear interpolation at
    the knots -bound + a * step (the constant is the value at the first knot)."""
    step = 2 * bound / intervals
    knots = bound * (2 * torch.arange(intervals, dtype=torch.float64) - intervals) / intervals  # exact 0 at the centre
    coef = torch.full((intervals,), 2 * step, dtype=torch.float64)
    coef[0] = 2 * knots[0] + step  # the first secant's slope
    return knots, coef, bound**2


def build_selection(shape: SelectionShape, max_len: int, dtype: str = "float64",
                    key: str = "constructions.selection") -> SequenceModel:
    U, d, dv = shape.window, shape.key_dim, shape.value_dim
    require(shape.margin > 0, f"'{key}.margin': the margin delta must be > 0 (got {shape.margin}); at delta = 0 "
                              "the argmax is not unique and no network can be exact.")
    check_precision(selection_bits_needed(shape), dtype, f"{key}.margin", "Use a larger margin or float64.")
    regs, width = selection_layout(shape)
    config = ssm_config(regs.size, 1, DEPTH, width, U, pre_fnn=True)
    model = blank_model(config, max_len, torch.float64, n_outputs=dv, input_dim=shape.input_dim)
    with torch.no_grad():
        embed = model.embedding
        for name, offset, size in (("key", 0, d), ("query", d, d), ("value", 2 * d, dv)):
            embed.weight[regs[name], offset + torch.arange(size)] = 1
        embed.bias[regs["one"]] = 1
        parts = block_parts(model, 0)
        _write_pre(linears(parts["pre"]), regs, shape)
        slots = torch.cat([regs["slot_key"], regs["slot_value"], regs["slot_norm"][:, None], regs["slot_valid"][:, None]], 1)
        write_delay_line(parts["mixer"], slots, torch.arange(U))
        _write_post(linears(parts["post"]), regs, shape)
        model.readout.weight[torch.arange(dv), regs["out"]] = 1
    return model.to(DTYPES[dtype])


def _write_pre(layers, regs: Registers, shape: SelectionShape) -> None:
    """Hidden 1: interpolation units of each k_i^2 and relu(+-k), relu(+-v), relu(1); hidden 2: |k|^2
    (an interpolant of squares, so >= 0) and the carried units; later layers pass them on."""
    U, d, dv, n = shape.window, shape.key_dim, shape.value_dim, shape.intervals
    first, second, *middle, last = layers
    knots, coef, const = square_knots(1.0, n)
    squares = torch.arange(d * n).reshape(d, n)
    first.weight[squares.flatten(), regs["key"].repeat_interleave(n)] = 1
    first.bias[squares.flatten()] = -knots.repeat(d)
    signed = d * n + torch.arange(2 * d + 2 * dv + 1)  # relu(+k), relu(-k), relu(+v), relu(-v), relu(1)
    sources = torch.cat([regs["key"], regs["key"], regs["value"], regs["value"], regs["one"]])
    signs = torch.cat([torch.ones(d), -torch.ones(d), torch.ones(dv), -torch.ones(dv), torch.ones(1)])
    first.weight[signed, sources] = signs.to(first.weight.dtype)
    norm, carried = torch.tensor([0]), 1 + torch.arange(len(signed))
    second.weight[norm, squares.flatten()] = coef.repeat(d)
    second.bias[norm] = d * const
    second.weight[carried, signed] = 1
    passed = torch.cat([norm, carried])
    for layer in middle:
        layer.weight[passed, passed] = 1
    k_pos, k_neg, v_pos, v_neg, one = carried.split([d, d, dv, dv, 1])
    last.weight[regs["slot_norm"], norm] = 1
    last.weight[regs["slot_valid"], one] = 1
    for slot in range(U):
        last.weight[regs["slot_key"][slot], k_pos] = 1
        last.weight[regs["slot_key"][slot], k_neg] = -1
        last.weight[regs["slot_value"][slot], v_pos] = 1
        last.weight[regs["slot_value"][slot], v_neg] = -1


def _write_post(layers, regs: Registers, shape: SelectionShape) -> None:
    U, d, dv, n, delta = shape.window, shape.key_dim, shape.value_dim, shape.intervals, shape.margin
    first, second, third, last = layers
    knots, coef, _ = square_knots(2.0, 2 * n)
    diff = torch.arange(U * d * 2 * n).reshape(U, d, 2 * n)  # relu(q_i - k_li - knot_a)
    first.weight[diff.flatten(), regs["query"].repeat_interleave(2 * n).repeat(U)] = 1
    first.weight[diff.flatten(), regs["slot_key"].flatten().repeat_interleave(2 * n)] = -1
    first.bias[diff.flatten()] = -knots.repeat(U * d)
    base = U * d * 2 * n
    norm_units, valid_units = base + torch.arange(U), base + U + torch.arange(U)
    value_pos = base + 2 * U + torch.arange(U * dv).reshape(U, dv)
    value_neg = value_pos + U * dv
    first.weight[norm_units, regs["slot_norm"]] = 1
    first.weight[valid_units, regs["slot_valid"]] = 1
    first.weight[value_pos.flatten(), regs["slot_value"].flatten()] = 1
    first.weight[value_neg.flatten(), regs["slot_value"].flatten()] = -1

    # score_l as a linear form over the first hidden layer (its constant cancels in differences);
    # slots before the sequence start lose ``penalty``, more than any score range.
    penalty = 2 * d + 2 * delta + 1
    score = torch.zeros(U, first.weight.shape[0], dtype=torch.float64)
    for slot in range(U):
        score[slot, diff[slot].flatten()] = -0.5 * coef.repeat(d)
        score[slot, norm_units[slot]] = 0.5
        score[slot, valid_units[slot]] = penalty
    pairs = [(l, m) for l in range(U) for m in range(U) if l != m]
    for unit, (l, m) in enumerate(pairs):  # relu((score_m - score_l) 2/delta + 1)
        second.weight[unit] = 2.0 / delta * (score[m] - score[l])
        second.bias[unit] = 1.0
    carry_pos = len(pairs) + torch.arange(U * dv).reshape(U, dv)
    carry_neg = carry_pos + U * dv
    second.weight[carry_pos.flatten(), value_pos.flatten()] = 1
    second.weight[carry_neg.flatten(), value_neg.flatten()] = 1

    gate_pos = torch.arange(U * dv).reshape(U, dv)
    gate_neg = gate_pos + U * dv
    for gate, sign in ((gate_pos, 1.0), (gate_neg, -1.0)):  # relu(+-v_l - sum of l's tests), |v| <= 1
        third.weight[gate.flatten(), carry_pos.flatten()] = sign
        third.weight[gate.flatten(), carry_neg.flatten()] = -sign
        for unit, (l, _) in enumerate(pairs):
            third.weight[gate[l], unit] = -1.0
        last.weight[regs["out"][None, :], gate] = sign
