"""Theorem 3.2 (associative recall) as a two-layer SSM+FNN network whose weights are set by formula.

Task format (``tokensel.tasks.recall``): ``k_1 v_1 .. k_k v_k q_1 .. q_Q`` with distinct keys (ids
1..|W|) and values (ids |W|+1..2|W|); the answer at query q_i is the value paired with it. Keys
and values are written as m = ceil(log2 |W|) bits in {0, 1}.

* Layer 1, SSM: a counter of all tokens gives the position p + 1; a one-tap filter at lag 1
  brings the previous token's key bits to each position (at a value, that is its key).
* Layer 1, FNN: at a value position p = 2j + 1 it writes the pair record (key bits, value bits)
  into slot j, and nothing anywhere else ("write by address", address j = (p+1)/2 - 1).
* Layer 2, SSM: a cumulative sum keeps every slot filled from then on.
* Layer 2, FNN: the Hamming distance H_j between the query's bits and slot j's key bits, and slot
  j's value bits gated by relu(bit - 2 H_j): only the slot whose key equals the query passes.
* Readout: value w scores sum_b (2 y_b - 1)(2 c_b(w) - 1); keys and PAD score below any value.

Every test has a margin of at least 1 in its integer inputs, so rounding cannot flip it: the
arithmetic only has to count up to about L.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from tokensel.constructions.encoding import binary_digits, digits
from tokensel.constructions.network import (
    DTYPES, Registers, blank_model, block_parts, check_precision, linears, require, ssm_config, write_counter,
)
from tokensel.nn.models import SequenceModel

SLOPE = 2.0  # steepness of the address and match tests: an integer off by 1 - eps still reads "no"


def recall_bits_needed(size: int, queries: int) -> float:
    """Significand bits: the position counter (an FFT sum of up to L ones, rounding error about
    2 log2(L) L u) must stay within 1/8 of an integer."""
    seq_len = 2 * size + queries
    return math.log2(16 * seq_len * max(1.0, math.log2(seq_len)))


def recall_layout(size: int, vocab: int) -> tuple[Registers, int]:
    bits = binary_digits(vocab)
    regs = Registers()
    regs.add("one")
    regs.add("is_value")
    for name in ("key_bits", "value_bits", "prev_key_bits"):
        regs.add(name, bits)
    regs.add("position")
    regs.add("slot_key", size, bits)
    regs.add("slot_value", size, bits)
    regs.add("out", bits)
    return regs, size * (4 * bits + 2)


def build_recall(size: int, vocab: int, queries: int, dtype: str = "float64", window: int | None = None,
                 readout_scale: float = 1.0, key: str = "constructions.recall") -> SequenceModel:
    """The recall network for ``size`` key-value pairs over ``vocab`` keys and as many values."""
    seq_len = 2 * size + queries
    window = window or seq_len
    require(
        window >= seq_len,
        f"'{key}.window' = {window} is shorter than the sequence length L = 2k + Q = {seq_len}: the slots "
        f"written at the first pair must still be summed at the last query. Use a window of at least {seq_len}.",
    )
    require(vocab >= size, f"'{key}.vocab_sizes': {vocab} keys cannot make {size} distinct pairs.")
    check_precision(recall_bits_needed(size, queries), dtype, f"{key}.sizes", "Use float64 or shorter sequences.")
    bits = binary_digits(vocab)
    regs, width = recall_layout(size, vocab)
    model = blank_model(ssm_config(regs.size, 2, 2, width, window), seq_len, torch.float64, vocab_size=1 + 2 * vocab)
    codes = torch.as_tensor(digits(np.arange(vocab), 2, bits), dtype=torch.float64)  # (|W|, m) in {0, 1}
    keys = 1 + torch.arange(vocab)
    values = keys + vocab
    with torch.no_grad():
        table = model.embedding.weight
        table[:, regs["one"]] = 1
        table[values, regs["is_value"]] = 1
        table[keys[:, None], regs["key_bits"][None, :]] = codes
        table[values[:, None], regs["value_bits"][None, :]] = codes

        first_mixer = block_parts(model, 0)["mixer"]
        write_counter(first_mixer, regs["one"], regs["position"])  # position + 1
        first_mixer.filter.taps[regs["key_bits"], 1] = 1  # the previous token's key bits
        first_mixer.out_proj.weight[regs["prev_key_bits"], regs["key_bits"]] = 1
        _write_slot_writer(linears(block_parts(model, 0)["post"]), regs)

        accumulate = block_parts(model, 1)["mixer"]
        slots = torch.cat([regs["slot_key"].flatten(), regs["slot_value"].flatten()])
        accumulate.filter.taps[slots, 1:] = 1  # earlier positions; lag 0 is already in the residual
        accumulate.out_proj.weight[slots, slots] = 1
        _write_matcher(linears(block_parts(model, 1)["post"]), regs)
        _write_bit_readout(model.readout, codes, regs["out"], values, readout_scale)
    return model.to(DTYPES[dtype])


def _write_slot_writer(layers, regs: Registers) -> None:
    """Slot j receives record bit c exactly when the token is a value at position 2j + 1.

    Address offset a_j = (p+1)/2 - 1 - j, plus ``far`` at non-values (so a_j >= 3/2 there). With
    s = SLOPE, relu(c - s a) - relu(c - s a - 1) - relu(-s a) + relu(-s a - 1) is c at a = 0 and
    exactly 0 at every integer a != 0: each unit is either zero or linear, and they cancel.
    """
    first, second, third = layers
    size, bits = regs["slot_key"].shape
    far = size + 1
    record = torch.cat([regs["prev_key_bits"], regs["value_bits"]])
    n_record = 2 * bits
    record_units = torch.arange(size * n_record * 2).reshape(size, n_record, 2)
    shared_units = record_units.numel() + torch.arange(size * 2).reshape(size, 2)
    slot = torch.arange(size, dtype=torch.float64)

    def minus_s_address(units: torch.Tensor, slots: torch.Tensor, shift: float) -> None:
        # -s a_j - shift = -s/2 (p+1) + s far is_value + s (1 + j - far) - shift
        first.weight[units, regs["position"]] = -SLOPE / 2
        first.weight[units, regs["is_value"]] = SLOPE * far
        first.bias[units] = (SLOPE * (1 + slots - far) - shift).to(first.bias.dtype)

    for shift in (0, 1):
        units = record_units[:, :, shift].flatten()
        minus_s_address(units, slot.repeat_interleave(n_record), shift)
        first.weight[units, record.repeat(size)] = 1
        minus_s_address(shared_units[:, shift], slot, shift)
    combined = torch.arange(size * n_record).reshape(size, n_record)  # non-negative: relu passes it on
    for source, sign in ((record_units[:, :, 0], 1), (record_units[:, :, 1], -1),
                         (shared_units[:, :1].expand(size, n_record), -1), (shared_units[:, 1:].expand(size, n_record), 1)):
        second.weight[combined.flatten(), source.flatten()] = sign
    third.weight[regs["slot_key"].flatten(), combined[:, :bits].flatten()] = 1
    third.weight[regs["slot_value"].flatten(), combined[:, bits:].flatten()] = 1


def _write_matcher(layers, regs: Registers) -> None:
    """out_b = sum_j relu(value_jb - s H_j), with H_j = sum_b |slot_key_jb - query_b|."""
    first, second, third = layers
    size, bits = regs["slot_key"].shape
    over = torch.arange(size * bits).reshape(size, bits)
    above, below, carry = over, size * bits + over, 2 * size * bits + over
    slot_key, query = regs["slot_key"].flatten(), regs["key_bits"].repeat(size)
    first.weight[above.flatten(), slot_key] = 1
    first.weight[above.flatten(), query] = -1
    first.weight[below.flatten(), slot_key] = -1
    first.weight[below.flatten(), query] = 1
    first.weight[carry.flatten(), regs["slot_value"].flatten()] = 1
    gates = over
    second.weight[gates.flatten(), carry.flatten()] = 1
    for distance in (above, below):  # every bit of slot j's distance closes every gate of slot j
        second.weight[gates[:, :, None], distance[:, None, :]] = -SLOPE
    third.weight[regs["out"].repeat(size), gates.flatten()] = 1


def _write_bit_readout(readout, codes: torch.Tensor, out: torch.Tensor, rows: torch.Tensor, scale: float) -> None:
    """Value w scores scale * sum_b (2 y_b - 1)(2 c_b - 1): m for its own code, at most m - 2 for
    any other; every other id scores -scale (m + 1)."""
    bits = codes.shape[1]
    readout.bias[:] = -scale * (bits + 1)
    readout.weight[rows[:, None], out[None, :]] = scale * (4 * codes - 2)
    readout.bias[rows] = scale * (1 - 2 * codes).sum(1)
