"""Tiny parameter sections shared by the experiment tests and the end-to-end pipeline test."""

TINY_SYNTHETIC = {
    "grid": {"tasks": ["copy", "recall", "mqar"], "models": ["ssm2", "ssm1", "tf"], "seeds": [0, 1]},
    "tasks": {
        "copy": {"axis": "size", "values": [2, 3], "lr_sweep_at": 3, "vocab_size": 3},
        "recall": {"axis": "vocab_size", "values": [4, 8], "lr_sweep_at": 4, "size": 2, "lrs": [0.003], "single_seed_models": ["gated", "ssd"]},
        "mqar": {"axis": "vocab_size", "values": [4, 8], "lr_sweep_at": 8, "size": 2, "seq_len": 10},
    },
    "models": {
        "ssm1": {"mixer": "ssm", "d_model": 8, "n_layers": 1, "fnn_depth": 1, "fnn_width": 8, "filter": "fir"},
        "ssm2": {"mixer": "ssm", "d_model": 8, "n_layers": 2, "fnn_depth": 1, "fnn_width": 8, "filter": "s4d", "state_size": 4},
        "tf": {"mixer": "attention", "d_model": 8, "n_layers": 2, "fnn_depth": 1, "fnn_width": 8, "n_heads": 1, "positional": "sinusoidal"},
        "gated": {"mixer": "gated_conv", "d_model": 8, "n_layers": 2, "fnn_depth": 0, "filter": "fir"},
        "ssd": {"mixer": "ssd", "d_model": 8, "n_layers": 2, "fnn_depth": 0, "state_size": 4, "head_dim": 8, "chunk_size": 4},
    },
    "train": {"steps": 6, "batch_size": 8, "lrs": [0.003, 0.01], "eval_every": 3, "n_val": 8, "n_test": 8},
    "size_needed": {"tasks": {"copy": [2]}, "models": ["ssm2", "tf"], "widths": [4, 8], "seeds": [0, 1], "required": 1},
    "long_runs": {"recall": {"at": 8, "steps": 9, "models": ["ssm2"]}},
    "verdict": {"solved_acc": 0.95},  # dvc.yaml's training stages read this key: it must be in params.yaml
}

TINY_REGRESSION = {
    "task": {"d": 2, "seq_len": 8, "window": 4, "top_j": 2, "max_basis": 64, "delta": 0.02},
    "models": {
        "ssm2": {"filter": "fir", "window": 4, "pre_fnn": True, "n_layers": 2, "fnn_width": 8},
        "ssm1": {"filter": "fir", "window": 4, "pre_fnn": True, "n_layers": 1, "fnn_width": 8},
        "tf": {"mixer": "attention", "positional": "sinusoidal", "n_heads": 2, "fnn_width": 8},
    },
    "fixed_order": ["ssm2", "ssm1"],
    "n_train": [16, 32],
    "seeds": [0, 1],
    "train": {"min_steps": 6, "max_epochs": 2, "n_evals": 3, "batch_size": 8, "n_val": 8, "n_test": 16, "d_models": [4], "lrs": [0.003, 0.01]},
    "references": {"sieve_max_basis": 32, "knn_ks": [1, 2, 4]},
    "analysis": {"n_boot": 50, "two_layer": "ssm2", "one_layer": "ssm1", "transformer": "tf"},
}

_TINY_RUNS = {"steps": {"ssm": 3, "tf": 3}, "lrs": {"ssm": [0.01, 0.003], "tf": [0.003]}}
TINY_GENOMIC = {
    "models": {
        "ssm": {"mixer": "ssm", "d_model": 8, "filter": "s4d", "state_size": 4, "fnn_width": 8},
        "tf": {"mixer": "attention", "d_model": 8, "positional": "learned", "fnn_width": 8, "n_heads": 2},
    },
    "datasets": {
        "motif_order": {"kind": "motif_order", "n_train": 64, "n_val": 8, "n_test": 16, "length": 36, "min_gap": 2,
                        "n_attributed": 4, "n_moved": 2, **_TINY_RUNS},
        "janggu": {"kind": "janggu", "length": 40, "n_attributed_per_class": 2, **_TINY_RUNS},
    },
    "seeds": [0, 1],
    "control_seeds": [0],
    "train": {"batch_size": 8, "stem_width": 4, "log_every": 1, "eval_every": 2},
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
    "repeats": 2,
    "threads": 1,
    "selective": {"state_size": 4},
    "ssd": {"state_size": 4, "head_dim": 8, "chunk_size": 8},
    "targets": {"seq_len": 32, "share_seq_len": 32},
    "ssd_aims": {"seq_len": 32, "sdpa_seq_len": 32, "throughput_seq_len": 32},
    "pairs": {"blocks": 2, "pairs_per_block": 1},
    "throughput": {"seq_lens": [16, 32], "batch_size": 2, "models": {
        "ssm2_fnn1": {"mixer": "ssm", "d_model": 16, "n_layers": 2, "fnn_width": 16, "filter": "fir"},
        "transformer2": {"mixer": "attention", "d_model": 16, "n_layers": 2, "fnn_width": 16, "n_heads": 4, "positional": "sinusoidal"},
        "selective2_fnn1": {"mixer": "selective", "d_model": 16, "n_layers": 2, "fnn_width": 16},
        "ssd2_fnn1": {"mixer": "ssd", "d_model": 16, "n_layers": 2, "fnn_width": 16, "head_dim": 8},
    }},
}

TINY_CONSTRUCTIONS = {
    "parts": ["selection", "copy", "recall", "precision", "costs", "bridge"],
    "dtypes": ["float32", "float64"],
    "selection": {"windows": [1, 3], "key_dims": [2], "margin_sweep": [0.3], "sweep_window": 3, "sweep_key_dim": 2,
                  "n_sequences": 8, "seq_len": 12},
    "copy": {"sizes": [2, 5], "length_vocab": 5, "vocab_sizes": [5, 4096], "vocab_sweep_size": 3, "digits": [1, 2],
             "n_answers": 64},
    "recall": {"sizes": [2, 3], "length_vocab": 6, "vocab_sizes": [4, 300], "vocab_sweep_size": 2, "n_answers": 64},
    "precision": {"sizes": [4], "log2_vocab": [8, 13], "n_answers": 256},
    "costs": {"max_log2_length": 8, "max_log2_vocab": 12, "copy_size": 4, "recall_size": 2, "recall_vocab": 64},
    "bridge": {"copy_size": 3, "copy_vocab": 4, "copy_digits": 2, "recall_size": 2, "recall_vocab": 2,
               "sigmas": [0.0, 0.01], "seeds": [0], "steps": 3, "n_test": 16},
}
