"""Attribution split by class on constructed results: each class's measures come from its own
inputs only, and a model that finds one class's motif but not the other's is named plainly."""

from __future__ import annotations

import numpy as np
import xarray as xr

from tokensel.genomic import per_class
from tokensel.genomic.config import VerdictSettings
from tokensel.genomic.stage import TRAINED
from tokensel.nn.config import ModelConfig

SETTINGS = VerdictSettings(n_boot=500)
MODELS = {"ssm": ModelConfig.from_params({"mixer": "ssm"}, "m"), "transformer": ModelConfig.from_params({"mixer": "attention"}, "m")}


def constructed(ssm_on_mafk: float, n: int = 40, class_motifs: tuple[str, str] = ("TGCTGAS", "ATGCAAAT")) -> xr.Dataset:
    """One dataset, classes MafK (0) and Oct4 (1) alternating over the inputs. The transformer puts
    0.9 of its top-k on the motif in both classes; the SSM 0.9 in Oct4 and ``ssm_on_mafk`` in MafK."""
    rng = np.random.default_rng(0)
    labels = np.arange(n) % 2
    share = np.empty((1, 2, 2, 1, 1, n))  # dataset, model, seed, control, method, input
    share[0, 1] = 0.9
    share[0, 0] = np.where(labels == 1, 0.9, ssm_on_mafk)
    share = np.clip(share + 0.02 * rng.standard_normal(share.shape), 0, 1)
    run = ("dataset", "model", "seed", "control", "method")
    return xr.Dataset(
        {
            "motif_auroc": (run + ("attributed",), share),
            "follow_original": (run + ("attributed",), share),
            "follow_moved": (run + ("moved",), share),
            "vacated_before": (run + ("moved",), np.full(share.shape, 0.8)),
            "vacated_after": (run + ("moved",), np.full(share.shape, 0.1)),
            **{f"known_{v}": (("dataset", "method", "attributed"), np.full((1, 1, n), 1.0)) for v in ("motif_auroc", "follow_original")},
            **{f"known_{v}": (("dataset", "method", "moved"), np.full((1, 1, n), x)) for v, x in (("follow_moved", 1.0), ("vacated_before", 1.0), ("vacated_after", 0.0))},
            "attributed_label": (("dataset", "attributed"), labels[None]),
            "moved_label": (("dataset", "moved"), labels[None]),
            "class_name": (("dataset", "class"), [["MafK", "Oct4"]]),
            "class_motifs": (("dataset", "class"), [list(class_motifs)]),
            "test_label": (("dataset", "test_example"), labels[None]),
            # Inserting the Oct4 motif (into MafK inputs) raises the Oct4 logit by 2 for every run;
            # inserting the MafK motif raises the MafK logit for the transformer only.
            "insertion_target": (("dataset", "inserted"), labels[None]),
            "insertion_motif": (("dataset", "model", "seed", "control", "inserted"), np.stack([
                np.broadcast_to(np.where(labels == 1, 2.0, 0.0), (2, 1, n)), np.full((2, 1, n), 2.0)])[None] + 0.1 * rng.standard_normal((1, 2, 2, 1, n))),
            "insertion_shuffled": (("dataset", "model", "seed", "control", "inserted"), 0.1 * rng.standard_normal((1, 2, 2, 1, n))),
            "known_insertion_motif": (("dataset", "inserted"), np.full((1, n), 3.0)),
            "known_insertion_shuffled": (("dataset", "inserted"), np.zeros((1, n))),
            "n_test": (("dataset",), [n]),
        },
        coords={
            "dataset": ["janggu"], "model": list(MODELS), "seed": [0, 1], "control": [TRAINED], "method": ["ism"],
            "model_spec": (("model",), [c.to_json() for c in MODELS.values()]),
        },
    )


def test_each_class_is_measured_on_its_own_inputs() -> None:
    table = per_class.per_class_table(constructed(ssm_on_mafk=0.2), "ism").set_index(["class", "run"])
    assert table.loc[("MafK", "ssm"), "attributed"] == table.loc[("Oct4", "ssm"), "attributed"] == 20
    assert abs(table.loc[("MafK", "ssm"), "on motif"] - 0.2) < 0.02 and abs(table.loc[("Oct4", "ssm"), "on motif"] - 0.9) < 0.02
    assert abs(table.loc[("MafK", "transformer"), "on moved motif"] - 0.9) < 0.02
    assert table.loc[("Oct4", "motif model (known answer)"), "motif AUROC"] == 1.0
    assert abs(table.loc[("Oct4", "ssm"), "retention"] - 0.125) < 1e-9
    assert table.loc[("Oct4", "ssm"), "its motif"] == "ATGCAAAT"


def test_a_model_that_finds_one_motif_only_is_named_plainly() -> None:
    sentences = per_class.one_sided(constructed(ssm_on_mafk=0.2), SETTINGS)
    assert len(sentences) == 1
    assert sentences[0].startswith("On janggu Oct4 vs MafK, the SSM's importance sits on the Oct4 motif in Oct4 inputs (0.90")
    assert "not on the MafK motif (TGCTGAS) in MafK inputs (0.20" in sentences[0] and "treats its absence as the other class" in sentences[0]
    assert per_class.motif_found(constructed(ssm_on_mafk=0.2), "janggu", "ssm", "ism", 0, SETTINGS) is False
    # Both motifs found, or a share too close to the threshold to say: no sentence.
    assert per_class.one_sided(constructed(ssm_on_mafk=0.9), SETTINGS) == []
    assert per_class.motif_found(constructed(ssm_on_mafk=0.5), "janggu", "ssm", "ism", 0, SETTINGS) is None


def test_classes_with_the_same_motifs_are_not_compared() -> None:
    assert per_class.one_sided(constructed(ssm_on_mafk=0.2, class_motifs=("A", "A")), SETTINGS) == []


def test_the_insertion_table_shows_which_motif_moves_the_logit() -> None:
    table = per_class.insertion_table(constructed(ssm_on_mafk=0.2), SETTINGS).set_index(["inserted", "run"])
    mafk, oct4 = "MafK motif (TGCTGAS)", "Oct4 motif (ATGCAAAT)"
    assert table.loc[(oct4, "ssm"), "raises the class"] == "yes" and table.loc[(mafk, "ssm"), "raises the class"] == "no"
    assert table.loc[(mafk, "transformer"), "raises the class"] == "yes" and table.loc[(mafk, "ssm"), "inputs"] == 20
    assert table.loc[(oct4, "motif model (known answer)"), "effect of the motif"] == 3.0
    assert abs(table.loc[(oct4, "ssm"), "effect of the motif"] - 2.0) < 0.1
