"""Real labelled DNA data that can be had offline, read into :class:`GenomicDataset`.

* :func:`load_janggu_oct4_mafk` -- human ChIP-seq peaks, Oct4 vs MafK, 200 bp, shipped inside the
  ``janggu==0.10.2`` wheel (install it with ``--no-deps``; janggu itself is never imported because
  that needs TensorFlow). All four files are pooled, exact duplicates dropped, and split
  stratified and deterministic in ``seed``.
* :func:`load_genomic_benchmark` -- any folder in the Genomic Benchmarks on-disk layout
  ``<root>/<name>/{train,test}/<class>/*.txt``. The benchmark data cannot be downloaded here and
  nothing is fetched at run time.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
from pathlib import Path
from typing import Literal

import numpy as np

from tokensel.core.errors import ConfigError
from tokensel.genomic.datasets import GenomicDataset, Split, check_fraction, check_split, deduplicate, stratified_split
from tokensel.genomic.sequences import encode, fit_to_length, read_fasta, unknown_characters

JANGGU_VERSION = "0.10.2"
JANGGU_INSTALL = f"pip install --no-deps janggu=={JANGGU_VERSION}"
#: Class -> (training file, test file) in janggu/resources; labels follow janggu's
#: own example src/examples/classify_fasta.py (sample*.fa = Oct4, sample2*.fa = MafK).
JANGGU_FILES: dict[str, tuple[str, str]] = {
    "MafK": ("sample2.fa", "sample2_test.fa"),
    "Oct4": ("sample.fa", "sample_test.fa"),
}
JANGGU_SEQ_LEN = 200


# --------------------------------------------------------------------------- janggu


def janggu_resources_dir() -> Path:
    """Folder holding janggu's sample FASTA files, found without importing janggu.

    ``importlib.util.find_spec`` on the top-level name only locates the
    package; it does not run ``janggu/__init__.py`` (which needs TensorFlow).
    """
    looked: list[str] = []
    spec = importlib.util.find_spec("janggu")
    candidates: list[Path] = []
    if spec is not None and spec.submodule_search_locations:
        candidates += [Path(p) / "resources" for p in spec.submodule_search_locations]
    try:
        dist = importlib.metadata.distribution("janggu")
        candidates.append(Path(str(dist.locate_file("janggu/resources"))))
    except importlib.metadata.PackageNotFoundError:
        pass
    needed = [f for pair in JANGGU_FILES.values() for f in pair]
    for cand in candidates:
        looked.append(str(cand))
        if all((cand / f).is_file() for f in needed):
            return cand
    if not candidates:
        raise ConfigError(
            "janggu is not installed, so the Oct4/MafK ChIP-seq FASTA files it ships cannot be "
            f"found. Fix: {JANGGU_INSTALL}  (--no-deps matters: janggu's declared dependencies "
            "pin Biopython 1.77 / pysam<0.16 and break on Python 3.11; only data files are used)."
        )
    raise ConfigError(
        f"janggu is installed but its resources lack some of {needed}; looked in: "
        f"{', '.join(looked)}. Fix: pip uninstall janggu && {JANGGU_INSTALL}"
    )


def load_janggu_oct4_mafk(
    split: Split,
    *,
    seed: int = 0,
    test_fraction: float = 0.2,
    upstream_split: bool = False,
) -> GenomicDataset:
    """Oct4-vs-MafK ChIP-seq peak classification (200 bp human), class_names ("MafK", "Oct4").

    By default all four janggu files are pooled (7,997 records), deduplicated
    (none expected) and split stratified by ``seed`` with ``test_fraction``;
    ``upstream_split=True`` returns janggu's own split (test = 100 per class)
    and ignores ``seed`` and ``test_fraction``.
    """
    check_split(split)
    res = janggu_resources_dir()
    class_names = tuple(sorted(JANGGU_FILES))
    seqs: list[str] = []
    ids: list[str] = []
    labels: list[int] = []
    origin: list[int] = []  # 0 = janggu training file, 1 = janggu test file
    for y, cls in enumerate(class_names):
        for which, fname in enumerate(JANGGU_FILES[cls]):
            for rec in read_fasta(res / fname, fixed_length=JANGGU_SEQ_LEN):
                seqs.append(rec.seq)
                ids.append(rec.name)
                labels.append(y)
                origin.append(which)
    labels_arr = np.array(labels, dtype=np.int64)
    kept, n_dup, n_conflict = deduplicate(seqs, labels_arr)
    if upstream_split:
        want = 0 if split == "train" else 1
        origin_arr = np.array(origin)
        idx = kept[origin_arr[kept] == want]
        how = "janggu's own train/test files"
    else:
        check_fraction(test_fraction)
        train_idx, test_idx = stratified_split(labels_arr[kept], test_fraction, seed)
        idx = kept[train_idx if split == "train" else test_idx]
        how = f"pooled, stratified split test_fraction={test_fraction} seed={seed}"
    try:
        version = importlib.metadata.version("janggu")
    except importlib.metadata.PackageNotFoundError:
        version = "unknown"
    tokens = (
        np.stack([encode(seqs[i]) for i in idx.tolist()])
        if idx.size
        else np.empty((0, JANGGU_SEQ_LEN), dtype=np.int64)
    )
    return GenomicDataset(
        name="janggu_oct4_mafk",
        sequences=tokens,
        labels=labels_arr[idx],
        class_names=class_names,
        split=split,
        source=(
            f"janggu {version} resources {res} (ENCODE ChIP-seq peaks, GPL-3.0 package); "
            f"{how}; dropped {n_dup} duplicate and {n_conflict} label-conflicting sequences"
        ),
        ids=tuple(ids[i] for i in idx.tolist()),
    )


# --------------------------------------------------------------------------- Genomic Benchmarks


def default_genomic_benchmarks_root() -> Path:
    """``~/.genomic_benchmarks``, resolved at call time (not import time, unlike upstream)."""
    return Path.home() / ".genomic_benchmarks"


def _gb_sort_key(p: Path) -> tuple[int, int, str]:
    # Upstream names files 0.txt, 1.txt, ...: sort numerically, others by name after them.
    return (0, int(p.stem), p.name) if p.stem.isdigit() else (1, 0, p.name)


def _gb_classes(split_dir: Path) -> list[str]:
    return sorted(d.name for d in split_dir.iterdir() if d.is_dir() and not d.name.startswith("."))


def load_genomic_benchmark(
    name: str,
    split: Split,
    *,
    root: str | Path | None = None,
    length: int | None = None,
    truncation: Literal["error", "end", "center"] = "error",
    pad_side: Literal["right", "left"] = "right",
) -> GenomicDataset:
    """Read ``<root>/<name>/<split>/<class>/*.txt`` (one sequence per file) fully offline.

    Labels index the *sorted* class folder names (upstream uses filesystem
    order, which is not reproducible). Sequences of differing length need
    ``length``: shorter ones are padded with PAD on ``pad_side``; longer ones
    follow ``truncation`` ("error" by default, "end" keeps the start, "center"
    keeps the middle). With ``length=None`` all sequences must have equal
    length. Folder names under ``split`` must match those of the other split
    when it exists, so that label ids mean the same thing in train and test.
    """
    check_split(split)
    base = Path(root).expanduser() if root is not None else default_genomic_benchmarks_root()
    ds_dir = base / name
    if not ds_dir.is_dir():
        raise ConfigError(
            f"Genomic Benchmarks dataset {name!r} not found: looked for the folder {ds_dir}. "
            "Nothing is downloaded at run time. Fix: on a machine with internet, "
            "`pip install genomic-benchmarks` and run `from genomic_benchmarks.loc2seq import "
            f"download_dataset; download_dataset({name!r}, version=0)`, then copy "
            f"~/.genomic_benchmarks/{name} to {ds_dir}; or pass root= pointing at a folder with "
            "the layout <root>/<name>/{train,test}/<class>/*.txt (one sequence per file)."
        )
    split_dir = ds_dir / split
    if not split_dir.is_dir():
        present = sorted(p.name for p in ds_dir.iterdir())
        raise ConfigError(
            f"Genomic Benchmarks dataset {name!r}: split folder {split_dir} is missing "
            f"(found {present}). Fix: provide {split}/<class>/*.txt under {ds_dir}."
        )
    classes = _gb_classes(split_dir)
    if len(classes) < 2:
        raise ConfigError(
            f"Genomic Benchmarks dataset {name!r}: {split_dir} holds {len(classes)} class "
            f"folder(s) {classes}; a classification task needs at least two. Fix: add one "
            "sub-folder per class, each holding .txt sequence files."
        )
    other = ds_dir / ("test" if split == "train" else "train")
    if other.is_dir() and _gb_classes(other) != classes:
        raise ConfigError(
            f"Genomic Benchmarks dataset {name!r}: class folders differ between splits "
            f"({split}: {classes}, {other.name}: {_gb_classes(other)}), so label ids would not "
            "match. Fix: make both splits hold the same class folders."
        )
    rows: list[np.ndarray] = []
    labels: list[int] = []
    ids: list[str] = []
    for y, cls in enumerate(classes):
        files = sorted(
            (p for p in (split_dir / cls).glob("*.txt") if p.is_file()), key=_gb_sort_key
        )
        if not files:
            raise ConfigError(
                f"Genomic Benchmarks dataset {name!r}: class folder {split_dir / cls} has no "
                ".txt files. Fix: put one sequence per .txt file there, or remove the folder."
            )
        for f in files:
            seq = "".join(f.read_text(encoding="ascii", errors="replace").split())
            if not seq:
                raise ConfigError(
                    f"{f}: empty sequence file. Fix: remove it or fill in the sequence."
                )
            bad = unknown_characters(seq)
            if bad:
                raise ConfigError(
                    f"{f}: characters outside A/C/G/T/N: {', '.join(map(repr, bad))}. "
                    "Fix: replace ambiguity codes with N or remove the file."
                )
            rows.append(encode(seq))
            labels.append(y)
            ids.append(f"{cls}/{f.name}")
    lengths = np.array([r.size for r in rows])
    if length is None:
        if lengths.min() != lengths.max():
            raise ConfigError(
                f"Genomic Benchmarks dataset {name!r} ({split}): sequence lengths vary from "
                f"{lengths.min()} to {lengths.max()}. Fix: pass length=<L> (shorter sequences "
                "are padded with the PAD token) and, to cut longer ones, truncation='end'/'center'."
            )
        tokens = np.stack(rows)
    else:
        if truncation == "error" and lengths.max() > length:
            worst = ids[int(lengths.argmax())]
            raise ConfigError(
                f"Genomic Benchmarks dataset {name!r} ({split}): {int((lengths > length).sum())} "
                f"sequences are longer than length={length} (longest {lengths.max()}, {worst}). "
                "Fix: raise length, or pass truncation='end' or 'center'."
            )
        tokens = np.stack(
            [fit_to_length(r, length, truncation=truncation, pad_side=pad_side) for r in rows]
        )
    handling = (
        "fixed length"
        if length is None
        else f"length={length}, pad_side={pad_side}, truncation={truncation}"
    )
    return GenomicDataset(
        name=name,
        sequences=tokens,
        labels=np.array(labels, dtype=np.int64),
        class_names=tuple(classes),
        split=split,
        source=f"Genomic Benchmarks layout at {ds_dir} ({handling}; raw lengths "
        f"{lengths.min()}-{lengths.max()})",
        ids=tuple(ids),
    )
