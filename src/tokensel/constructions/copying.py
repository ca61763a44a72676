"""Theorem 3.1 (input copying) as a network whose weights are set by formula.

Task format (``tokensel.tasks.copy``): ``x_1 .. x_n SEP BLANK*n PAD ...`` with n <= k; the answer
at the i-th blank is x_i. At every blank the token to copy sits lambda = n + 1 positions back, and
lambda is the number of *content* tokens (data tokens and SEP) seen so far. So:

* a counter (all-ones filter over the content indicator) gives lambda;
* a delay line (one channel per lag l = 2 .. k+1 and digit, a one-tap filter at lag l) brings the
  digits of the token l steps back to the current position;
* an FNN turns lambda into a one-hot mask over the lags, hat_l = [lambda == l], and gates each
  delayed digit with it: relu(slot_l + 2C hat_l - 2C) is slot_l when hat_l = 1 and 0 when
  hat_l = 0 (digits lie in [0, C));
* the readout scores token w by sum_g (2 d_g(w) y_g - d_g(w)^2), highest at the nearest code.

Two layers: layer 1 = counter + FNN (mask, and a copy of the digits into the delay channels);
layer 2 = delay line + FNN (gates). One layer: one mixer runs the counter and the delay line (the
embedding writes the digits into every delay channel) and an FNN of depth 2 computes the mask,
then the gates. Both are as wide as k times the digits per token (docs/constructions.md says why
no construction of this class can avoid a width linear in k at bounded precision).
"""

from __future__ import annotations

import math

import numpy as np
import torch

from tokensel.constructions.encoding import digit_base, digits
from tokensel.constructions.network import (
    DTYPES, Registers, blank_model, block_parts, check_precision, linears, require, ssm_config, write_counter,
    write_delay_line,
)
from tokensel.nn.models import SequenceModel
from tokensel.tasks.copy import FIRST_DATA, SEP

HAT_COMBINATION = (1.0, -2.0, 1.0)  # relu(a+1) - 2 relu(a) + relu(a-1) = [a == 0] for integer a


def copy_bits_needed(size: int, vocab: int, n_digits: int) -> float:
    """Significand bits the copy construction needs (derivation in docs/constructions.md).

    (1) The counter lambda comes out of an FFT convolution with a rounding error of about
    2 log2(k) k u (u = 2^-bits; measured); the mask passes it on, the gate multiplies it by 2C, and
    the selected digit must stay within 1/4 of its integer. (2) The readout scores reach m C^2 and
    must resolve a gap of 1/2 between neighbouring codes.
    """
    base = digit_base(vocab, n_digits)
    gate_bits = math.log2(8 * base * size * max(1.0, math.log2(size)))
    readout_bits = 2 * math.log2(base) + math.log2(n_digits) + 2
    return max(gate_bits, readout_bits)


def copy_layout(size: int, n_digits: int, n_layers: int) -> tuple[Registers, int]:
    """Residual-stream channels and FNN width of the copy construction."""
    regs = Registers()
    regs.add("content")
    regs.add("count")
    if n_layers == 2:
        regs.add("digit", n_digits)
        regs.add("hat", size)
    regs.add("slot", size, n_digits)  # slot[i, g]: digit g of the token i + 2 steps back
    regs.add("out", n_digits)
    width = max(3 * size + n_digits, size * n_digits) if n_layers == 2 else size * (3 + n_digits)
    return regs, width


def build_copy(size: int, vocab: int, n_digits: int, n_layers: int = 2, dtype: str = "float64",
               window: int | None = None, readout_scale: float = 1.0, key: str = "constructions.copy",
               check_precision_first: bool = True) -> SequenceModel:
    """The copy network for strings of up to ``size`` tokens over ``vocab`` data tokens.

    ``check_precision_first=False`` builds it even where ``dtype`` is predicted to be too coarse:
    the precision sweep uses it to measure where the arithmetic really breaks.
    """
    seq_len = 2 * size + 1
    window = window or seq_len
    require(n_layers in (1, 2), f"'{key}.layers' must hold 1 or 2, got {n_layers}.")
    require(n_digits >= 1, f"'{key}.digits' must be at least 1, got {n_digits}.")
    require(
        window >= seq_len,
        f"'{key}.window' = {window} is shorter than the sequence length L = 2k+1 = {seq_len}: the counter of "
        f"content tokens must reach back to position 0. Use a window of at least {seq_len}.",
    )
    if check_precision_first:
        check_precision(copy_bits_needed(size, vocab, n_digits), dtype, f"{key}.digits",
                        "Use more digits per token (smaller numbers) or float64.")
    base = digit_base(vocab, n_digits)
    regs, width = copy_layout(size, n_digits, n_layers)
    config = ssm_config(regs.size, n_layers, 3 - n_layers, width, window)
    model = blank_model(config, seq_len, torch.float64, vocab_size=FIRST_DATA + vocab)
    codes = torch.as_tensor(digits(np.arange(vocab), base, n_digits), dtype=torch.float64)  # (|W|, m)
    lags = torch.arange(size) + 2
    with torch.no_grad():
        table = model.embedding.weight
        table[SEP, regs["content"]] = 1
        table[FIRST_DATA:, regs["content"]] = 1
        if n_layers == 2:
            table[FIRST_DATA:, regs["digit"]] = codes
        else:
            table[FIRST_DATA:, regs["slot"].flatten()] = codes.repeat(1, size)
        write_counter(block_parts(model, 0)["mixer"], regs["content"], regs["count"])
        write_delay_line(block_parts(model, n_layers - 1)["mixer"], regs["slot"], lags)
        if n_layers == 2:
            _write_two_layer_fnns(model, regs, lags, base)
        else:
            _write_one_layer_fnn(model, regs, lags, base)
        write_code_readout(model.readout, codes, regs["out"], FIRST_DATA, readout_scale)
    return model.to(DTYPES[dtype])


def _write_hat_units(layer, count_channel: torch.Tensor, lags: torch.Tensor) -> None:
    """Units 3i + (0, 1, 2) = relu(lambda - l_i + 1), relu(lambda - l_i), relu(lambda - l_i - 1)."""
    units = torch.arange(3 * len(lags))
    layer.weight[units, count_channel] = 1
    layer.bias[units] = (-lags[:, None] + torch.tensor([1, 0, -1])).flatten().to(layer.bias.dtype)


def _write_two_layer_fnns(model: SequenceModel, regs: Registers, lags: torch.Tensor, base: int) -> None:
    size, n_digits = regs["slot"].shape
    first, second = linears(block_parts(model, 0)["post"]), linears(block_parts(model, 1)["post"])
    # Layer 1: the mask over lags, and a copy of each digit into every delay channel of that digit.
    _write_hat_units(first[0], regs["count"], lags)
    for r, weight in enumerate(HAT_COMBINATION):
        first[1].weight[regs["hat"], 3 * torch.arange(size) + r] = weight
    copy_units = 3 * size + torch.arange(n_digits)
    first[0].weight[copy_units, regs["digit"]] = 1
    first[1].weight[regs["slot"], copy_units[None, :]] = 1
    # Layer 2: gate every delayed digit by the mask of its lag; sum the gates per digit.
    gates = torch.arange(size * n_digits)
    second[0].weight[gates, regs["slot"].flatten()] = 1
    second[0].weight[gates, regs["hat"].repeat_interleave(n_digits)] = 2.0 * base
    second[0].bias[gates] = -2.0 * base
    second[1].weight[regs["out"].repeat(size), gates] = 1


def _write_one_layer_fnn(model: SequenceModel, regs: Registers, lags: torch.Tensor, base: int) -> None:
    size, n_digits = regs["slot"].shape
    first, second, third = linears(block_parts(model, 0)["post"])
    _write_hat_units(first, regs["count"], lags)
    carries = 3 * size + torch.arange(size * n_digits)  # digits are >= 0: relu passes them on unchanged
    first.weight[carries, regs["slot"].flatten()] = 1
    gates = torch.arange(size * n_digits)
    second.weight[gates, carries] = 1
    lag_of_gate = torch.arange(size).repeat_interleave(n_digits)
    for r, weight in enumerate(HAT_COMBINATION):
        second.weight[gates, 3 * lag_of_gate + r] = 2.0 * base * weight
    second.bias[gates] = -2.0 * base
    third.weight[regs["out"].repeat(size), gates] = 1


def write_code_readout(readout, codes: torch.Tensor, out: torch.Tensor, first_id: int, scale: float) -> None:
    """Token ``first_id + i`` scores scale * sum_g (2 c_g y_g - c_g^2) = scale * (|y|^2 - |y - c|^2),
    highest at the code c nearest to the output y; every other id scores -scale, below any code."""
    readout.bias[:] = -scale
    rows = first_id + torch.arange(codes.shape[0])
    readout.weight[rows[:, None], out[None, :]] = 2 * scale * codes
    readout.bias[rows] = -scale * (codes**2).sum(1)
