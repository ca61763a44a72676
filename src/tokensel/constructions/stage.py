"""One DVC cell of the constructions experiment: one part (selection, copy, recall, precision,
costs, bridge) as an xr.Dataset. Variables carry their part's prefix, so the parts merge into one
results file without clashes:

* ``sel_*``: (sel_cell, dtype[, margin_bin]); cells are the window x key-dimension grid at the
  design margin and the margin sweep; ``sel_correct`` is the fraction right per margin/delta bin.
* ``copy_*``: (copy_cell, layers, digits, dtype); ``copy_acc`` is NaN where the dtype was refused
  (``copy_refused`` = 1); costs per (copy_cell, layers, digits).
* ``recall_*``: (recall_cell, dtype); costs per recall_cell.
* ``prec_acc``: (prec_size, prec_log2_vocab), float32 accuracy where the check would refuse.
* ``cost_*``: closed forms on a wide grid, (cost_curve, cost_point), with lower bounds.
* ``bridge_*``: (bridge_task, bridge_start, bridge_sigma, bridge_seed); ``scratch`` starts at sigma 0.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from tokensel.constructions import evaluate
from tokensel.constructions.config import ConstructionsExperiment
from tokensel.constructions.costs import copy_costs, copy_one_layer_min_width, recall_costs, recall_min_width
from tokensel.constructions.encoding import binary_digits
from tokensel.constructions.train import bridge_run
from tokensel.core.engine import parallel_map

CELL_MEASURES = ("d_model", "fnn_width", "fnn_depth", "params", "params_blocks", "params_tables", "nonzero",
                 "nonzero_blocks")
COST_MEASURES = (*CELL_MEASURES, "window")  # a cell's window is its sequence length (or U)
# Bits per channel of the lower bounds: 1 (what the binary-digit constructions use), and the
# most a float32 or float64 channel can hold (2^32 or 2^64 distinct values).
BOUND_BITS = {"1bit": 1, "float32": 32, "float64": 64}


def cells(config: ConstructionsExperiment) -> list[dict]:
    """The DVC matrix of ``constructions_run``: one cell per part."""
    return [{"part": part} for part in config.parts]


def run(config: ConstructionsExperiment, part: str, workers: int | None = None) -> xr.Dataset:
    return PARTS[part](config, workers)


def _selection(config: ConstructionsExperiment, workers: int | None) -> xr.Dataset:
    s = config.selection
    grid = [("grid", U, d, s.margin) for U in s.windows for d in s.key_dims]
    grid += [("margin", s.sweep_window, s.sweep_key_dim, delta) for delta in s.margin_sweep]
    jobs = [dict(window=U, key_dim=d, value_dim=s.value_dim, margin=delta, dtypes=config.dtypes,
                 n_sequences=s.n_sequences, seq_len=s.seq_len, tolerance=s.tolerance, seed=s.seed) for _, U, d, delta in grid]
    out = parallel_map(evaluate.selection_cell, jobs, workers, desc="selection")
    cell, bins = ("sel_cell",), ("sel_cell", "dtype", "margin_bin")
    data = {"sel_correct": (bins, np.array([o["correct"] for o in out])),
            "sel_count": (("sel_cell", "margin_bin"), np.array([o["count"] for o in out])),
            "sel_bits": (cell, [o["bits"] for o in out]), "sel_cpu_seconds": (cell, [o["cpu_seconds"] for o in out])}
    for name in ("acc_above", "max_error_above", "acc"):
        data[f"sel_{name}"] = (("sel_cell", "dtype"), np.array([o[name] for o in out]))
    data |= {f"sel_{m}": (cell, [float(o[m]) for o in out]) for m in CELL_MEASURES}
    coords = {"dtype": list(config.dtypes), "margin_bin": list(evaluate.MARGIN_BINS),
              "sel_sweep": (cell, [g[0] for g in grid]), "sel_window": (cell, [g[1] for g in grid]),
              "sel_key_dim": (cell, [g[2] for g in grid]), "sel_margin": (cell, [g[3] for g in grid])}
    return xr.Dataset(data, coords=coords)


def _token_coords(prefix: str, grid: list[tuple[str, int, int]], seq_len) -> dict:
    cell = (f"{prefix}_cell",)
    return {f"{prefix}_sweep": (cell, [g[0] for g in grid]), f"{prefix}_size": (cell, [g[1] for g in grid]),
            f"{prefix}_vocab": (cell, [g[2] for g in grid]), f"{prefix}_seq_len": (cell, [seq_len(g[1]) for g in grid])}


def _copy(config: ConstructionsExperiment, workers: int | None) -> xr.Dataset:
    c = config.copy
    grid = c.cells()
    jobs = [dict(size=k, vocab=v, layers=c.layers, digits=c.digits, dtypes=config.dtypes, n_answers=c.n_answers,
                 seed=c.seed) for _, k, v in grid]
    out = parallel_map(evaluate.copy_cell, jobs, workers, desc="copy")
    full, per_net = ("copy_cell", "layers", "digits", "dtype"), ("copy_cell", "layers", "digits")
    data = {f"copy_{name}": (full, np.array([o[name] for o in out])) for name in ("acc", "exact", "refused")}
    data |= {"copy_bits": (("copy_cell", "digits"), np.array([o["bits"] for o in out])),
             "copy_shortcut": (("copy_cell",), [o["shortcut"] for o in out]),
             "copy_n_answers": (("copy_cell",), [o["n_answers"] for o in out]),
             "copy_cpu_seconds": (("copy_cell",), [o["cpu_seconds"] for o in out]),
             "copy_model_spec": (per_net, np.array([[[o["spec"].get((i, j), "") for j in range(len(c.digits))]
                                                     for i in range(len(c.layers))] for o in out]))}
    for m in CELL_MEASURES:
        values = np.array([[[o["costs"][i, j][m] for j in range(len(c.digits))] for i in range(len(c.layers))] for o in out])
        data[f"copy_{m}"] = (per_net, values.astype(float))
    coords = {"layers": list(c.layers), "digits": list(c.digits), "dtype": list(config.dtypes),
              **_token_coords("copy", grid, lambda k: 2 * k + 1)}
    return xr.Dataset(data, coords=coords)


def _recall(config: ConstructionsExperiment, workers: int | None) -> xr.Dataset:
    r = config.recall
    grid = r.cells()
    jobs = [dict(size=k, vocab=v, n_queries=r.n_queries, dtypes=config.dtypes, n_answers=r.n_answers, seed=r.seed)
            for _, k, v in grid]
    out = parallel_map(evaluate.recall_cell, jobs, workers, desc="recall")
    cell = ("recall_cell",)
    data = {f"recall_{name}": (("recall_cell", "dtype"), np.array([o[name] for o in out])) for name in ("acc", "exact")}
    data |= {f"recall_{name}": (cell, [float(o[name]) for o in out]) for name in ("bits", "shortcut", "n_answers", "cpu_seconds", *CELL_MEASURES)}
    data["recall_model_spec"] = (cell, [o["spec"] for o in out])
    queries = lambda k: k if r.n_queries == "all" else int(r.n_queries)  # noqa: E731
    coords = {"dtype": list(config.dtypes), **_token_coords("recall", grid, lambda k: 2 * k + queries(k))}
    return xr.Dataset(data, coords=coords)


def _precision(config: ConstructionsExperiment, workers: int | None) -> xr.Dataset:
    p = config.precision
    jobs = [dict(size=k, log2_vocab=e, n_answers=p.n_answers, seed=p.seed) for k in p.sizes for e in p.log2_vocab]
    out = parallel_map(evaluate.precision_cell, jobs, workers, desc="precision")
    shape = (len(p.sizes), len(p.log2_vocab))
    dims = ("prec_size", "prec_log2_vocab")
    return xr.Dataset({f"prec_{name}": (dims, np.reshape([o[name] for o in out], shape)) for name in ("acc", "bits", "cpu_seconds")},
                      coords={"prec_size": list(p.sizes), "prec_log2_vocab": list(p.log2_vocab)})


def cost_curves(config: ConstructionsExperiment) -> list[tuple[str, str, list[int], list[dict], list[dict]]]:
    """(construction, axis, x values, closed-form costs, lower bounds per storage format) per curve."""
    c = config.costs
    sizes = [2**e for e in range(1, c.max_log2_length)]
    vocabs = [2**e for e in range(2, c.max_log2_vocab + 1)]
    copy_m = binary_digits(c.copy_vocab)
    curves = []
    for layers in (2, 1):
        name = f"copy, {layers} layer{'s' if layers == 2 else ''}"
        bound = lambda k, v: {f: copy_one_layer_min_width(k, v, b) if layers == 1 else np.nan for f, b in BOUND_BITS.items()}  # noqa: E731
        curves.append((name, "length", [2 * k + 1 for k in sizes], [copy_costs(k, c.copy_vocab, copy_m, layers) for k in sizes],
                       [bound(k, c.copy_vocab) for k in sizes]))
        curves.append((name, "vocabulary", vocabs, [copy_costs(c.copy_size, v, binary_digits(v), layers) for v in vocabs],
                       [bound(c.copy_size, v) for v in vocabs]))
    recall_bound = lambda k, v: {f: recall_min_width(k, v, b, 2) for f, b in BOUND_BITS.items()}  # noqa: E731
    recall_sizes = [k for k in sizes if k <= c.recall_vocab]
    curves.append(("recall", "length", [3 * k for k in recall_sizes], [recall_costs(k, c.recall_vocab, k) for k in recall_sizes],
                   [recall_bound(k, c.recall_vocab) for k in recall_sizes]))
    recall_vocabs = [v for v in vocabs if v >= c.recall_size]
    curves.append(("recall", "vocabulary", recall_vocabs, [recall_costs(c.recall_size, v, c.recall_size) for v in recall_vocabs],
                   [recall_bound(c.recall_size, v) for v in recall_vocabs]))
    return curves


def _costs(config: ConstructionsExperiment, workers: int | None) -> xr.Dataset:
    curves = cost_curves(config)
    n = max(len(xs) for _, _, xs, _, _ in curves)
    pad = lambda values: list(values) + [np.nan] * (n - len(values))  # noqa: E731
    dims = ("cost_curve", "cost_point")
    data = {"cost_x": (dims, [pad(xs) for _, _, xs, _, _ in curves])}
    data |= {f"cost_{m}": (dims, [pad([float(c[m]) for c in costs]) for *_, costs, _ in curves]) for m in COST_MEASURES}
    data |= {f"cost_bound_{f}": (dims, [pad([b[f] for b in bounds]) for *_, bounds in curves]) for f in BOUND_BITS}
    coords = {"cost_curve": [f"{name} | {axis}" for name, axis, *_ in curves],
              "cost_construction": ("cost_curve", [name for name, *_ in curves]),
              "cost_axis": ("cost_curve", [axis for _, axis, *_ in curves])}
    return xr.Dataset(data, coords=coords)


def _bridge(config: ConstructionsExperiment, workers: int | None) -> xr.Dataset:
    b = config.bridge
    starts = [*b.noise, "scratch"]
    keys = [(task, start, sigma, seed) for task in ("copy", "recall") for start in starts
            for sigma in (b.sigmas if start != "scratch" else (0.0,)) for seed in b.seeds]
    out = parallel_map(bridge_run, [dict(cfg=b, task=t, start=s, sigma=g, seed=e) for t, s, g, e in keys], workers, desc="bridge")
    index = {"bridge_task": ["copy", "recall"], "bridge_start": starts, "bridge_sigma": sorted({0.0, *b.sigmas}),
             "bridge_seed": list(b.seeds)}
    shape = tuple(len(v) for v in index.values())
    data = {}
    for name in ("acc_before", "acc_after", "final_loss", "cpu_seconds"):
        values = np.full(shape, np.nan)
        for (task, start, sigma, seed), result in zip(keys, out):
            values[tuple(index[d].index(v) for d, v in zip(index, (task, start, sigma, seed)))] = result[name]
        data[f"bridge_{name}"] = (tuple(index), values)
    return xr.Dataset(data, coords=index)


PARTS = {"selection": _selection, "copy": _copy, "recall": _recall, "precision": _precision, "costs": _costs,
         "bridge": _bridge}
