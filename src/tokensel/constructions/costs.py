"""What each construction costs, in closed form, and the lower bounds it is compared with.

``dense_parameters`` counts every parameter of a LayerNorm-free ``SequenceModel`` with FIR mixers;
the ``*_costs`` functions add the parameters the formulas set to non-zero values, derived from the
layouts by hand (docs/constructions.md) and tested against the built networks.
"""

from __future__ import annotations

import math

from tokensel.constructions.copying import copy_layout
from tokensel.constructions.encoding import binary_digits, digit_base
from tokensel.constructions.recall import recall_layout
from tokensel.constructions.selection import DEPTH, SelectionShape, selection_layout


def dense_parameters(d_model: int, width: int, depth: int, window: int, n_layers: int, pre_fnn: bool,
                     table_in: int, table_out: int, continuous_input: bool = False) -> dict[str, int]:
    """Parameters of embedding -> n_layers x ([pre-FNN] + FIR mixer + FNN) -> readout, no LayerNorm."""
    D, W = d_model, width
    fnn = D * W + W + (depth - 1) * (W * W + W) + W * D + D
    mixer = D * window + D + D * D + D  # taps, skip, out_proj weight and bias
    blocks = n_layers * (mixer + fnn * (2 if pre_fnn else 1))
    tables = table_in * D + (D if continuous_input else 0) + D * table_out + table_out
    return {"params_blocks": blocks, "params_tables": tables, "params": blocks + tables}


def nonzero_digits(count: int, base: int, n_digits: int) -> int:
    """How many digits of the indices 0 .. count-1 written in base ``base`` are non-zero."""
    total = 0
    for g in range(n_digits):
        period, run = base ** (g + 1), base**g  # digit g is 0 on the first ``run`` of every ``period``
        total += count - ((count // period) * run + min(count % period, run))
    return total


def count_below_with_popcount(limit: int, ones: int) -> int:
    """How many integers in [0, limit) have exactly ``ones`` bits set."""
    total, seen = 0, 0
    for position in reversed(range(max(limit.bit_length(), 1))):
        if limit >> position & 1:
            if 0 <= ones - seen <= position:
                total += math.comb(position, ones - seen)
            seen += 1
    return total


def _summary(d_model: int, width: int, depth: int, window: int, dense: dict[str, int], nonzero_blocks: int,
             nonzero_tables: int) -> dict[str, int]:
    return {"d_model": d_model, "fnn_width": width, "fnn_depth": depth, "window": window, **dense,
            "nonzero_blocks": nonzero_blocks, "nonzero": nonzero_blocks + nonzero_tables}


def copy_costs(size: int, vocab: int, n_digits: int, n_layers: int, window: int | None = None) -> dict[str, int]:
    k, m = size, n_digits
    U = window or 2 * k + 1
    regs, width = copy_layout(size, n_digits, n_layers)
    depth = 3 - n_layers
    dense = dense_parameters(regs.size, width, depth, U, n_layers, False, 3 + vocab, 3 + vocab)
    digit_entries = nonzero_digits(vocab, digit_base(vocab, m), m)
    readout = digit_entries + 3 + (vocab - 1)  # code weights; -1 for specials; -|c|^2 except code 0
    counter = U + 1
    if n_layers == 2:
        embedding = 1 + vocab + digit_entries
        blocks = counter + (6 * k + m) + (3 * k + k * m) + 3 * k * m + 3 * k * m + k * m
    else:
        embedding = 1 + vocab + k * digit_entries
        blocks = counter + 3 * k * m + (6 * k + k * m) + (k * m + 3 * k * m + k * m) + k * m
    return _summary(regs.size, width, depth, U, dense, blocks, embedding + readout)


def recall_costs(size: int, vocab: int, queries: int, window: int | None = None) -> dict[str, int]:
    k, v, m = size, vocab, binary_digits(vocab)
    U = window or 2 * k + queries
    regs, width = recall_layout(size, vocab)
    table = 1 + 2 * v
    dense = dense_parameters(regs.size, width, 2, U, 2, False, table, table)
    embedding = table + v + 2 * nonzero_digits(v, 2, m)
    balanced = count_below_with_popcount(v, m // 2) if m % 2 == 0 else 0  # codes whose readout bias is 0
    readout = v * m + (1 + v) + (v - balanced)
    layer1 = (U + 1 + 2 * m) + (16 * k * m + 6 * k) + 8 * k * m + 2 * k * m
    layer2 = 2 * k * m * U + 5 * k * m + (k * m + 2 * k * m * m) + k * m
    return _summary(regs.size, width, 2, U, dense, layer1 + layer2, embedding + readout)


def selection_costs(shape: SelectionShape) -> dict[str, int]:
    U, d, dv, n = shape.window, shape.key_dim, shape.value_dim, shape.intervals
    regs, width = selection_layout(shape)
    dense = dense_parameters(regs.size, width, DEPTH, U, 1, True, shape.input_dim, dv, continuous_input=True)
    slots = d + dv + 2
    centre_knot = 1 if n % 2 == 0 else 0  # a knot at 0 has a zero bias
    first_coef = 0 if n == 1 else 1  # the first secant slope 2 knot_0 + step is 0 only for one interval
    pre = (2 * d * n - d * centre_knot + 2 * d + 2 * dv + 1) + (d * (n - 1 + first_coef) + 1 + 2 * d + 2 * dv + 1) \
        + (2 * d + 2 * dv + 2) + (2 * U + 2 * U * d + 2 * U * dv)
    mixer = 2 * (U - 1) * slots + U * slots
    post = (U * d * 2 * n * 2 + U * d * (2 * n - 1) + 2 * U + 2 * U * dv) + (U * (U - 1) * (4 * d * n + 5) + 2 * U * dv) \
        + 2 * U * dv * (U + 1) + 2 * U * dv
    return _summary(regs.size, width, DEPTH, U, dense, pre + mixer + post, 2 * d + dv + 1 + dv)


def copy_one_layer_min_width(size: int, vocab: int, bits: float) -> int:
    """Channels any one-layer convolution + token-wise network needs to copy strings of up to k
    tokens, resolving ``bits`` per channel: at the blank t = k + 1 the answers x_j, j <
    floor((k+1)/2), are all read from one window sum over the first ceil((k+1)/2) tokens, which
    must therefore take |W|^floor((k+1)/2) separable values (docs/constructions.md)."""
    return math.ceil(((size + 1) // 2) * math.log2(vocab) / bits)


def recall_min_width(size: int, vocab: int, bits: float, n_layers: int) -> int:
    """Channels any n_layers-layer convolution + token-wise network needs for recall: at the first
    query every layer's window sum over the pairs is query-independent, and together they must
    determine all k values (|W|^k possibilities)."""
    return math.ceil(size * math.log2(vocab) / (n_layers * bits))
