"""Tiny parameter sections shared by the experiment tests and the end-to-end pipeline test."""

TINY_SYNTHETIC = {
    "grid": {"tasks": ["copy", "recall"], "models": ["ssm1", "ssm2", "tf"], "seeds": [0]},
    "tasks": {"copy": {"sizes": [2], "vocab_size": 3}, "recall": {"sizes": [2], "vocab_size": 3, "n_queries": "all"}},
    "models": {
        "ssm1": {"mixer": "ssm", "n_layers": 1, "fnn_depth": 1, "fnn_width": 8, "filter": "fir"},
        "ssm2": {"mixer": "ssm", "n_layers": 2, "fnn_depth": 1, "fnn_width": 8, "filter": "s4d", "state_size": 4},
        "tf": {"mixer": "attention", "n_layers": 1, "fnn_depth": 1, "fnn_width": 8, "n_heads": 1, "positional": "sinusoidal"},
    },
    "train": {"steps": 6, "batch_size": 8, "lrs": [0.003], "eval_every": 3, "n_val": 8, "n_test": 8, "d_model": 8},
}

TINY_REGRESSION = {
    "task": {"d": 2, "seq_len": 10, "window": 4, "top_j": 2, "n_sup_points": 256, "max_basis": 32},
    "models": {
        "ssm2": {"filter": "fir", "n_layers": 2, "fnn_width": 8},
        "ssm1": {"filter": "fir", "n_layers": 1, "fnn_width": 8},
        "tf": {"mixer": "attention", "positional": "sinusoidal", "n_heads": 2, "fnn_width": 8},
    },
    "n_train": [16, 32],
    "seeds": [0, 1],
    "train": {"steps": 6, "eval_every": 3, "batch_size": 8, "n_val": 8, "n_test": 16, "d_model": 4, "lrs": [0.003]},
    "width_sweep": {"models": ["ssm2"], "d_models": [4, 8]},
    "fixed_order": {"models": ["ssm2", "ssm1"]},
}

_TINY_RUNS = {"steps": {"ssm": 3, "tf": 3}, "lrs": {"ssm": [0.01, 0.003], "tf": [0.003]}}
TINY_GENOMIC = {
    "models": {
        "ssm": {"mixer": "ssm", "filter": "s4d", "state_size": 4, "fnn_width": 8},
        "tf": {"mixer": "attention", "positional": "learned", "fnn_width": 8, "n_heads": 2},
    },
    "datasets": {
        "motif_order": {"kind": "motif_order", "n_train": 64, "n_val": 8, "n_test": 16, "length": 36, "min_gap": 2,
                        "n_attributed": 4, "n_moved": 2, **_TINY_RUNS},
        "janggu": {"kind": "janggu", "length": 40, "n_attributed": 4, "n_moved": 2, **_TINY_RUNS},
    },
    "seeds": [0, 1],
    "control_seeds": [0],
    "train": {"batch_size": 8, "d_model": 8, "stem_width": 4, "log_every": 1, "eval_every": 2},
    "attribution": {"ig_steps": 2, "control_examples": 2, "shown": 1},
    "baselines": {"max_k": 2, "max_iter": 100},
    "verdict": {"n_boot": 50},
}

# One thread: tiny problems gain nothing from two, and a busy test machine makes two contend.
TINY_EFFICIENCY = {
    "seq_lens": [16, 32],
    "batch_size": 2,
    "d_model": 16,
    "fnn_width": 16,
    "repeats": 1,
    "min_repeats": 1,
    "threads": 1,
    "target_seq_len": 32,
    "share_seq_len": 32,
    "throughput": {"seq_lens": [16, 32], "batch_size": 2, "d_model": 16},
}
