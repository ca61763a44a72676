"""Tests for reading DNA: encoding, FASTA parsing, the janggu and Genomic Benchmarks loaders, GC
helpers and motif scanning.

The janggu tests fail (not skip) when janggu is missing, because the project's set-up installs it.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

from tokensel.core.errors import ConfigError
from tokensel.genomic.datasets import GenomicDataset, gc_baseline_accuracy
from tokensel.genomic.motifs import MAFK_MARE, OCT4_OCTAMER, motif_mask, strand_patterns
from tokensel.genomic.sequences import PAD_ID, decode, encode, fit_to_length, read_fasta, reverse_complement
from tokensel.genomic.sources import janggu_resources_dir, load_genomic_benchmark, load_janggu_oct4_mafk
from tokensel.genomic import sources as gd

# Counts from research/genomic-data.md (janggu 0.10.2 wheel).
JANGGU_COUNTS = {
    "sample.fa": 3897,
    "sample2.fa": 3900,
    "sample_test.fa": 100,
    "sample2_test.fa": 100,
}

MARE_VARIANTS = {"TGCTGATCAGCA", "TGCTGACTCAGCA", "TGCTGAGTCAGCA", "TGCTGACGTCAGCA"}


def _rc(s: str) -> str:
    return s[::-1].translate(str.maketrans("ACGT", "TGCA"))


def _janggu_dir() -> Path:
    try:
        return janggu_resources_dir()
    except ConfigError as exc:  # fail with the install instruction rather than skip
        pytest.fail(f"janggu data unavailable: {exc}")


@pytest.fixture(scope="module")
def janggu_splits() -> tuple[GenomicDataset, GenomicDataset]:
    _janggu_dir()
    return load_janggu_oct4_mafk("train", seed=0), load_janggu_oct4_mafk("test", seed=0)


# ---------------------------------------------------------------------------------------- encoding


def test_encode_decode_roundtrip_and_soft_mask() -> None:
    toks = encode("acgtNACGT")
    assert toks.dtype == np.int64
    assert toks.tolist() == [0, 1, 2, 3, 4, 0, 1, 2, 3]
    assert decode(toks) == "ACGTNACGT"
    assert decode(reverse_complement(encode("AACGN"))) == "NCGTT"
    with pytest.raises(ConfigError, match="'R'"):
        encode("ACGR")


def test_fit_to_length_pad_and_truncate() -> None:
    t = encode("ACGTAC")
    assert decode(fit_to_length(t, 8)) == "ACGTAC--"
    assert decode(fit_to_length(t, 8, pad_side="left")) == "--ACGTAC"
    assert decode(fit_to_length(t, 4, truncation="end")) == "ACGT"
    assert decode(fit_to_length(t, 4, truncation="center")) == "CGTA"
    with pytest.raises(ConfigError, match="longer than length=4"):
        fit_to_length(t, 4)


# ----------------------------------------------------------------------------------- FASTA parsing


def test_read_fasta_accepts_soft_masked_multiline(tmp_path: Path) -> None:
    f = tmp_path / "ok.fa"
    f.write_text(">r1 desc\nacgT\nNNac\n\n>r2\r\nGGGG\r\n")
    recs = read_fasta(f)
    assert [(r.name, r.seq) for r in recs] == [("r1 desc", "ACGTNNAC"), ("r2", "GGGG")]
    assert read_fasta(f, fixed_length=None) == recs


@pytest.mark.parametrize(
    ("text", "fixed_length", "must_contain"),
    [
        (">a\nACGT\n>b\nACXZ-T\n", None, ["record 2", "'b'", "'-'", "'X'", "'Z'", "line 4"]),
        (">a\nACGT\n>empty\n>c\nAC\n", None, ["record 2", "'empty'", "empty", "line 3"]),
        ("ACGT\n>a\nACGT\n", None, ["line 1", "before any '>' header"]),
        (">a\nACGT\n>b\nACG\n", 4, ["record 2", "'b'", "length 3", "length 4"]),
        (">a\nACGT\n>\nACGT\n", None, ["record 2", "line 3", "empty name"]),
        ("\n\n", None, ["no FASTA records"]),
    ],
    ids=[
        "unknown-chars",
        "empty-record",
        "seq-before-header",
        "length-mismatch",
        "empty-name",
        "empty-file",
    ],
)
def test_read_fasta_rejects_malformed(
    tmp_path: Path, text: str, fixed_length: int | None, must_contain: list[str]
) -> None:
    f = tmp_path / "bad_input.fa"
    f.write_text(text)
    with pytest.raises(ConfigError) as info:
        read_fasta(f, fixed_length=fixed_length)
    msg = str(info.value)
    assert "bad_input.fa" in msg
    assert "Fix" in msg
    for part in must_contain:
        assert part in msg, (part, msg)


def test_read_fasta_missing_file_says_where_it_looked(tmp_path: Path) -> None:
    missing = tmp_path / "nope" / "x.fa"
    with pytest.raises(ConfigError, match="looked at") as info:
        read_fasta(missing)
    assert str(missing) in str(info.value)


# ------------------------------------------------------------------------------------------ janggu


def test_janggu_files_found_and_parsed() -> None:
    res = _janggu_dir()
    # Locating the data must not import janggu (its import needs TensorFlow).
    assert "janggu" not in sys.modules
    for fname, count in JANGGU_COUNTS.items():
        recs = read_fasta(res / fname, fixed_length=200)
        assert len(recs) == count, fname
        assert all(r.name.startswith("chr") for r in recs)
        assert set("".join(r.seq for r in recs)) <= set("ACGT")  # upper-cased, no N


def test_janggu_loader_split(janggu_splits: tuple[GenomicDataset, GenomicDataset]) -> None:
    train, test = janggu_splits
    assert train.class_names == test.class_names == ("MafK", "Oct4")
    assert train.seq_len == test.seq_len == 200
    total = {c: train.class_counts()[c] + test.class_counts()[c] for c in train.class_names}
    assert total == {"MafK": 3900 + 100, "Oct4": 3897 + 100}
    assert test.class_counts() == {"MafK": 800, "Oct4": 799}  # round(0.2 * n_c)
    assert not set(train.ids) & set(test.ids)
    # Shuffled: the first 100 training rows are not one class.
    assert 0 < train.labels[:100].mean() < 1
    again = load_janggu_oct4_mafk("test", seed=0)
    assert again.ids == test.ids and np.array_equal(again.sequences, test.sequences)
    assert load_janggu_oct4_mafk("test", seed=1).ids != test.ids
    up = load_janggu_oct4_mafk("test", upstream_split=True)
    assert up.class_counts() == {"MafK": 100, "Oct4": 100}


def test_janggu_missing_names_install_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None)

    def no_dist(name: str):
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "distribution", no_dist)
    with pytest.raises(ConfigError, match=r"pip install --no-deps janggu==0\.10\.2"):
        gd.janggu_resources_dir()


def test_gc_content_and_baseline(janggu_splits: tuple[GenomicDataset, GenomicDataset]) -> None:
    train, test = janggu_splits
    for ds in (train, test):
        g = ds.gc_content()
        assert g.shape == (len(ds),) and np.all((g >= 0) & (g <= 1))
    g = train.gc_content()
    gc_mafk, gc_oct4 = g[train.labels == 0].mean(), g[train.labels == 1].mean()
    assert abs(gc_mafk - 0.388) < 0.01 and abs(gc_oct4 - 0.460) < 0.01
    acc = gc_baseline_accuracy(train, test)
    assert 0.0 <= acc <= 1.0
    assert 0.65 < acc < 0.78  # genomic-data.md measured 0.71

    # Hand-made: PAD and N do not count towards GC.
    seqs = np.stack([fit_to_length(encode(s), 6) for s in ["GGCC", "ACGT", "ANNT", "GCNA"]])
    ds = GenomicDataset("t", seqs, np.array([0, 1, 0, 1]), ("a", "b"), "train", "hand-made")
    assert ds.gc_content().tolist() == [1.0, 0.5, 0.0, pytest.approx(2 / 3)]


def test_janggu_known_motif_frequencies() -> None:
    """Scanner agrees with the frequencies measured independently in genomic-data.md."""
    ds = load_janggu_oct4_mafk("train", upstream_split=True)
    frac = {
        m: [motif_mask(ds.sequences[ds.labels == y], m).any(1).mean() for y in (0, 1)]
        for m in (OCT4_OCTAMER, "TGCTGAS", "TGCTGASTCA")
    }
    assert frac[OCT4_OCTAMER] == [pytest.approx(0.020, abs=0.002), pytest.approx(0.158, abs=0.002)]
    assert frac["TGCTGAS"] == [pytest.approx(0.694, abs=0.002), pytest.approx(0.096, abs=0.002)]
    assert frac["TGCTGASTCA"] == [pytest.approx(0.271, abs=0.002), pytest.approx(0.003, abs=0.002)]


# ----------------------------------------------------------------------- Genomic Benchmarks layout


def _write_gb(root: Path, name: str, layout: dict[str, dict[str, list[str]]]) -> None:
    for split, classes in layout.items():
        for cls, seqs in classes.items():
            d = root / name / split / cls
            d.mkdir(parents=True)
            for i, s in enumerate(seqs):
                (d / f"{i}.txt").write_text(s + "\n")


def test_genomic_benchmark_loader(tmp_path: Path) -> None:
    # "positive" created first so that filesystem order would give it label 0.
    layout = {
        "train": {"positive": ["ACGTAC", "acgt", "GGGGGGGG"], "negative": ["TTTT", "AANA"]},
        "test": {"positive": ["CCCC"], "negative": ["AAAAAA"]},
    }
    _write_gb(tmp_path, "toy", layout)
    ds = load_genomic_benchmark("toy", "train", root=tmp_path, length=6, truncation="end")
    assert ds.class_names == ("negative", "positive")
    assert ds.labels.tolist() == [0, 0, 1, 1, 1]
    assert ds.ids[0] == "negative/0.txt"
    assert ds.strings() == ["TTTT--", "AANA--", "ACGTAC", "ACGT--", "GGGGGG"]
    assert np.sum(ds.sequences == PAD_ID) == 2 + 2 + 2
    left = load_genomic_benchmark("toy", "train", root=tmp_path, length=8, pad_side="left")
    assert left.strings()[0] == "----TTTT"
    center = load_genomic_benchmark("toy", "train", root=tmp_path, length=4, truncation="center")
    assert center.strings()[2] == "CGTA"
    test = load_genomic_benchmark("toy", "test", root=tmp_path, length=6)
    assert test.labels.tolist() == [0, 1] and test.class_names == ds.class_names
    with pytest.raises(ConfigError, match="lengths vary from 4 to 8"):
        load_genomic_benchmark("toy", "train", root=tmp_path)
    with pytest.raises(ConfigError, match="longer than length=6"):
        load_genomic_benchmark("toy", "train", root=tmp_path, length=6)


def test_genomic_benchmark_labels_follow_sorted_names(tmp_path: Path) -> None:
    # Created in non-sorted order; a filesystem order that happens to sort 6 names is unlikely.
    names = ["c5", "c2", "c4", "c0", "c3", "c1"]
    _write_gb(tmp_path, "multi", {"train": {n: ["A" * (int(n[1]) + 1)] for n in names}})
    ds = load_genomic_benchmark("multi", "train", root=tmp_path, length=6)
    assert ds.class_names == tuple(sorted(names))
    # Sequence of class cK has K+1 bases, so its label must equal K.
    assert [int((row != PAD_ID).sum()) - 1 for row in ds.sequences] == ds.labels.tolist()


def test_genomic_benchmark_loader_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="Nothing is downloaded at run time") as info:
        load_genomic_benchmark("human_nontata_promoters", "train", root=tmp_path)
    assert str(tmp_path / "human_nontata_promoters") in str(info.value)
    assert "download_dataset" in str(info.value)

    _write_gb(tmp_path, "one", {"train": {"only": ["ACGT"]}})
    with pytest.raises(ConfigError, match="at least two"):
        load_genomic_benchmark("one", "train", root=tmp_path)

    _write_gb(
        tmp_path,
        "mismatch",
        {"train": {"a": ["AC"], "b": ["GT"]}, "test": {"a": ["AC"], "c": ["GT"]}},
    )
    with pytest.raises(ConfigError, match="differ between splits"):
        load_genomic_benchmark("mismatch", "test", root=tmp_path)

    _write_gb(tmp_path, "badchar", {"train": {"a": ["ACRT"], "b": ["GT"]}})
    with pytest.raises(ConfigError, match=r"0\.txt.*'R'"):
        load_genomic_benchmark("badchar", "train", root=tmp_path, length=4)


# ---------------------------------------------------------------------------------- motif scanning


def test_motif_mask_forward_and_reverse_complement() -> None:
    #         0123456789...
    seq = "CCC" + OCT4_OCTAMER + "CCCCCCCCC" + _rc(OCT4_OCTAMER) + "CCC"
    m = motif_mask(encode(seq), OCT4_OCTAMER)
    expected = np.zeros(len(seq), dtype=bool)
    expected[3:11] = True
    expected[20:28] = True
    assert np.array_equal(m, expected)
    # An N inside an occurrence is no evidence: that occurrence disappears.
    broken = seq[:5] + "N" + seq[6:]
    assert motif_mask(encode(broken), OCT4_OCTAMER)[3:11].sum() == 0
    # Optional bases: each MARE variant is found, none outside.
    for v in MARE_VARIANTS:
        s = encode("AAAA" + v + "AAAA")
        mm = motif_mask(s[None, :], MAFK_MARE)[0]
        assert mm.tolist() == [False] * 4 + [True] * len(v) + [False] * 4, v
    # IUPAC: S = C or G.
    assert motif_mask(encode("TTGCTGAGTT"), "TGCTGAS").sum() == 7


def test_strand_patterns_are_the_variants_and_their_reverse_complements() -> None:
    tables = strand_patterns("TGCTGAS")  # S = C or G at the last position
    words = {"".join("ACGT"[int(np.argmax(row))] if row.sum() == 1 else "S" for row in t) for t in tables}
    assert words == {"TGCTGAS", "STCAGCA"}
    assert len(strand_patterns("ATGCAAAT")) == 2 and len(strand_patterns("ACGT")) == 1  # ACGT is its own reverse complement
