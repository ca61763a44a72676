"""Bad genomic params are stopped with the full key and the fix, before anything trains."""

from __future__ import annotations

import copy

import pytest
from tiny import TINY_GENOMIC

from tokensel.core.errors import ConfigError
from tokensel.genomic import loading
from tokensel.genomic.config import dry_run, from_params
from tokensel.genomic.dataset_specs import JANGGU_CLASSES
from tokensel.genomic.sources import JANGGU_FILES


def section(**changes) -> dict:
    out = copy.deepcopy(TINY_GENOMIC)
    for dotted, value in changes.items():
        node = out
        *parents, last = dotted.split("__")
        for key in parents:
            node = node[key]
        node[last] = value
    return out


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"train__stpes": 3}, r"Unknown key 'genomic.train.stpes'"),
        ({"datasets__motif_order__n_trian": 3}, r"Unknown key 'genomic.datasets.motif_order.n_trian'. Did you mean 'n_train'"),
        ({"datasets__x": {"kind": "nope"}}, r"'genomic.datasets.x.kind' is 'nope'; allowed kinds"),
        ({"datasets__motif_order__length": 19}, r"'genomic.datasets.motif_order.length' must hold both motifs and the gap \(18 \+ 2 bases\), got 19"),
        ({"datasets__motif_order__motifs": ["ATGCAAAT"]}, r"'genomic.datasets.motif_order.motifs' must name exactly two motifs"),
        ({"datasets__motif_order__motifs": ["ATGX", "ACGT"]}, r"'genomic.datasets.motif_order.motifs' .*unknown characters 'X'"),
        ({"datasets__motif_order__n_moved": 9}, r"'genomic.datasets.motif_order.n_moved' must not exceed n_attributed \(4\)"),
        ({"datasets__janggu__steps": {"ssm": 3}}, r"'genomic.datasets.janggu.steps' has no entry for model\(s\) tf"),
        ({"datasets__janggu__lrs": {"ssm": [0.01], "tf": [0.01], "rnn": [0.1]}}, r"'genomic.datasets.janggu.lrs' names model\(s\) rnn"),
        ({"datasets__janggu__lrs": {"ssm": [], "tf": [0.01]}}, r"'genomic.datasets.janggu.lrs.ssm' must list at least one value"),
        ({"attribution__methods": ["grad_x_input"]}, r"'genomic.verdict.method' \('ism'\) must be one of genomic.attribution.methods"),
        ({"baselines__cs": [0.1, -1.0]}, r"'genomic.baselines.cs\[1\]' must be greater than 0"),
        ({"baselines__c": 0.01}, r"Unknown key 'genomic.baselines.c'. Did you mean 'cs'"),
        ({"datasets__janggu__class_motifs": {"Oct4": ["ATGX"], "MafK": ["TGCTGAS"]}}, r"'genomic.datasets.janggu.class_motifs.Oct4' .*unknown characters 'X'"),
        ({"datasets__janggu__class_motifs": {"Oct4": ["ATGCAAAT"]}}, r"'genomic.datasets.janggu.class_motifs' must name the motifs of exactly the classes MafK, Oct4"),
        ({"datasets__janggu__class_motifs": {"Oct4": [], "MafK": ["TGCTGAS"]}}, r"'genomic.datasets.janggu.class_motifs.Oct4' must list at least one value"),
        ({"datasets__janggu__n_attributed_per_class": 0}, r"'genomic.datasets.janggu.n_attributed_per_class' must be at least 1"),
        ({"datasets__janggu__n_inserted_per_class": -1}, r"'genomic.datasets.janggu.n_inserted_per_class' must be at least 0"),
        ({"datasets__janggu__n_moved": 3}, r"Unknown key 'genomic.datasets.janggu.n_moved'"),
        ({"verdict__min_follow": 1.5}, r"'genomic.verdict.min_follow' must be between 0 and 1"),
    ],
)
def test_bad_values_are_named_by_their_key(changes, message) -> None:
    with pytest.raises(ConfigError, match=message):
        from_params(section(**changes))


def test_dry_run_keeps_shapes_and_cuts_the_work() -> None:
    small = from_params(dry_run(section()))
    order = small.datasets["motif_order"]
    assert order.length == 36 and set(order.steps.values()) == {2} and all(len(v) == 1 for v in order.lrs.values())
    assert small.seeds == (0,) and {m.d_model for m in small.models.values()} == {8}
    janggu = small.datasets["janggu"]
    assert janggu.length == 40 and janggu.max_per_split is not None
    assert from_params(section()).attribution.ism_positions is None and small.attribution.ism_positions < order.length


def test_max_per_split_keeps_a_seeded_subset_of_each_split() -> None:
    full = from_params(section()).datasets["janggu"]
    capped = from_params(section(datasets__janggu__max_per_split=300)).datasets["janggu"]
    train, test = loading.splits(full)
    loaded, again = loading.load_task(capped), loading.load_task(capped)
    assert len(loaded.train.labels) + len(loaded.val.labels) <= 300 < len(train.labels)
    assert len(loaded.test.labels) <= 300 < len(test.labels)
    assert (loaded.test.sequences == again.test.sequences).all() and (loaded.train.labels == again.train.labels).all()
    assert set(loaded.test.labels.tolist()) == {0, 1}


def test_max_per_split_must_be_positive() -> None:
    with pytest.raises(ConfigError, match=r"'genomic.datasets.janggu.max_per_split' must be at least 1"):
        from_params(section(datasets__janggu__max_per_split=0))


def test_the_spec_names_the_janggu_classes_the_files_hold() -> None:
    assert tuple(sorted(JANGGU_FILES)) == JANGGU_CLASSES
