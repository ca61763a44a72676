"""Labelled DNA classification data that can be had offline, as :class:`GenomicDataset`.

Three real sources and one container:

* :func:`load_janggu_oct4_mafk` -- human ChIP-seq peaks, Oct4 vs MafK, 200 bp,
  shipped inside the ``janggu==0.10.2`` wheel (install it with ``--no-deps``;
  janggu itself is never imported because that needs TensorFlow).
* :func:`load_genomic_benchmark` -- any folder in the Genomic Benchmarks on-disk
  layout ``<root>/<name>/{train,test}/<class>/*.txt``. The benchmark data
  themselves cannot be downloaded here and nothing is fetched at run time.
* :func:`load_splice_junctions` -- UCI/StatLog primate splice junctions
  (60 bp, classes ei/ie/n) from Debian's ``r-cran-mlbench`` ``DNA.rda``,
  read with the pure-Python ``rdata`` package.

Splits: the janggu and splice loaders pool all records, drop exact duplicate
sequences (and any sequence that carries two labels) and make a stratified
split with ``test_fraction=0.2`` by default, deterministic in ``seed``; the
order of the returned sequences is shuffled with the same seed so that no
slice of a split is a single class. ``load_janggu_oct4_mafk(..., upstream_split=True)``
uses the files' own train/test split (3,897+3,900 / 100+100) instead.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np

from tokensel.core.errors import ConfigError
from tokensel.genomic.sequences import (
    PAD_ID,
    decode,
    encode,
    fit_to_length,
    read_fasta,
    unknown_characters,
)

JANGGU_VERSION = "0.10.2"
JANGGU_INSTALL = f"pip install --no-deps janggu=={JANGGU_VERSION}"
#: Class -> (training file, test file) in janggu/resources; labels follow janggu's
#: own example src/examples/classify_fasta.py (sample*.fa = Oct4, sample2*.fa = MafK).
JANGGU_FILES: dict[str, tuple[str, str]] = {
    "MafK": ("sample2.fa", "sample2_test.fa"),
    "Oct4": ("sample.fa", "sample_test.fa"),
}
JANGGU_SEQ_LEN = 200

RDATA_INSTALL = "pip install rdata==1.1.0"
MLBENCH_APT = (
    "apt-get update && apt-get download r-cran-mlbench && "
    "dpkg -x r-cran-mlbench_*.deb DIR   (no R needed; then pass path=DIR), "
    "or: apt-get install r-cran-mlbench   (pulls in R)"
)
_MLBENCH_REL = Path("usr/lib/R/site-library/mlbench/data/DNA.rda")
_MLBENCH_SYSTEM = (
    Path("/") / _MLBENCH_REL,
    Path("/usr/lib/R/library/mlbench/data/DNA.rda"),
    Path("/usr/local/lib/R/site-library/mlbench/data/DNA.rda"),
)
SPLICE_SEQ_LEN = 60

Split = Literal["train", "test"]


@dataclass(frozen=True)
class GenomicDataset:
    """Encoded sequences (n, L) int64, labels (n,) indexing ``class_names``, and provenance.

    ``ids`` (optional, one per sequence) keeps record names such as genomic
    coordinates or file names so that any example can be traced back.
    """

    name: str
    sequences: np.ndarray
    labels: np.ndarray
    class_names: tuple[str, ...]
    split: str
    source: str
    ids: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        seqs = np.asarray(self.sequences)
        labels = np.asarray(self.labels)
        if seqs.ndim != 2 or not np.issubdtype(seqs.dtype, np.integer):
            raise ConfigError(
                f"dataset {self.name!r}: sequences must be a 2-D int array, "
                f"got dtype {seqs.dtype} shape {seqs.shape}."
            )
        if seqs.size and (seqs.min() < 0 or seqs.max() > PAD_ID):
            raise ConfigError(f"dataset {self.name!r}: token ids outside 0..{PAD_ID}.")
        if labels.shape != (seqs.shape[0],) or not np.issubdtype(labels.dtype, np.integer):
            raise ConfigError(
                f"dataset {self.name!r}: labels must be an int array of shape "
                f"({seqs.shape[0]},), got dtype {labels.dtype} shape {labels.shape}."
            )
        names = tuple(self.class_names)
        if len(names) < 2 or len(set(names)) != len(names):
            raise ConfigError(
                f"dataset {self.name!r}: need at least two distinct class names, got {names}."
            )
        if labels.size and (labels.min() < 0 or labels.max() >= len(names)):
            raise ConfigError(
                f"dataset {self.name!r}: labels must lie in 0..{len(names) - 1} "
                f"(one per class in {names})."
            )
        if self.ids and len(self.ids) != seqs.shape[0]:
            raise ConfigError(
                f"dataset {self.name!r}: {len(self.ids)} ids for {seqs.shape[0]} sequences."
            )
        object.__setattr__(self, "sequences", seqs.astype(np.int64, copy=False))
        object.__setattr__(self, "labels", labels.astype(np.int64, copy=False))
        object.__setattr__(self, "class_names", names)
        object.__setattr__(self, "ids", tuple(self.ids))

    def __len__(self) -> int:
        return int(self.sequences.shape[0])

    @property
    def seq_len(self) -> int:
        """Length L of every (padded) sequence."""
        return int(self.sequences.shape[1])

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    def class_counts(self) -> dict[str, int]:
        """Number of sequences per class name."""
        counts = np.bincount(self.labels, minlength=self.num_classes)
        return {c: int(k) for c, k in zip(self.class_names, counts)}

    def gc_content(self) -> np.ndarray:
        """Per-sequence G+C fraction among A/C/G/T tokens, shape (n,), in [0, 1].

        N and PAD are excluded from numerator and denominator, so padding does
        not dilute GC; a sequence with no A/C/G/T at all gives NaN.
        """
        acgt = (self.sequences < 4).sum(axis=1)
        gc = ((self.sequences == 1) | (self.sequences == 2)).sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(acgt > 0, gc / np.maximum(acgt, 1), np.nan)

    def subset(self, indices: np.ndarray, split: str | None = None) -> GenomicDataset:
        """A new dataset holding the given rows (same classes and provenance)."""
        idx = np.asarray(indices, dtype=np.int64)
        return GenomicDataset(
            name=self.name,
            sequences=self.sequences[idx],
            labels=self.labels[idx],
            class_names=self.class_names,
            split=self.split if split is None else split,
            source=self.source,
            ids=tuple(self.ids[i] for i in idx.tolist()) if self.ids else (),
        )

    def strings(self) -> list[str]:
        """Decoded sequences (PAD shown as '-'), for inspection and export."""
        return [decode(row) for row in self.sequences]


# --------------------------------------------------------------------------- GC baselines


def gc_baseline_accuracy(train: GenomicDataset, test: GenomicDataset) -> float:
    """Test accuracy of the best single GC-content threshold fitted on ``train`` (binary tasks).

    A model that beats this number is using more than base composition; on
    janggu Oct4-vs-MafK it is about 0.71 (reports/genomic/ prints the measured value).
    """
    if train.num_classes != 2 or train.class_names != test.class_names:
        raise ConfigError(
            "gc_baseline_accuracy needs two binary datasets with the same class_names, got "
            f"{train.class_names} and {test.class_names}."
        )
    g, y = train.gc_content(), train.labels
    keep = ~np.isnan(g)
    g, y = g[keep], y[keep]
    order = np.argsort(g, kind="stable")
    g, y = g[order], y[order]
    n = g.size
    # Rule "gc > t -> class 1" with t between sorted positions i-1 and i.
    zeros_left = np.concatenate([[0], np.cumsum(y == 0)])
    ones_right = np.concatenate([[0], np.cumsum((y == 1)[::-1])])[::-1]
    correct = zeros_left + ones_right
    cut_ok = np.ones(n + 1, dtype=bool)
    cut_ok[1:n] = g[1:] > g[:-1]  # only cut between distinct values
    correct = np.where(cut_ok, correct, -1)
    flipped = np.where(cut_ok, n - correct, -1)
    best_up, best_down = int(correct.argmax()), int(flipped.argmax())
    direction, i = (1, best_up) if correct[best_up] >= flipped[best_down] else (-1, best_down)
    t = -np.inf if i == 0 else np.inf if i == n else (g[i - 1] + g[i]) / 2
    above = test.gc_content() > t
    pred = np.where(above, 1, 0) if direction == 1 else np.where(above, 0, 1)
    return float((pred == test.labels).mean())


def gc_matched_subset(ds: GenomicDataset, n_bins: int = 10, seed: int = 0) -> GenomicDataset:
    """Subsample so every class has the same count in each GC bin (quantile bins over ``ds``).

    On the result, GC content carries (almost) no information about the label,
    which removes the GC shortcut of the janggu data.
    """
    g = ds.gc_content()
    if np.isnan(g).any():
        raise ConfigError(f"dataset {ds.name!r}: some sequences have no A/C/G/T; cannot bin GC.")
    edges = np.quantile(g, np.linspace(0, 1, n_bins + 1)[1:-1])
    bins = np.searchsorted(edges, g, side="right")
    rng = np.random.default_rng(seed)
    keep: list[np.ndarray] = []
    for b in range(n_bins):
        members = [np.flatnonzero((bins == b) & (ds.labels == c)) for c in range(ds.num_classes)]
        k = min(m.size for m in members)
        keep.extend(rng.choice(m, size=k, replace=False) for m in members if k)
    idx = np.sort(np.concatenate(keep)) if keep else np.empty(0, dtype=np.int64)
    return ds.subset(idx)


# --------------------------------------------------------------------------- helpers


def _check_split(split: str) -> None:
    if split not in ("train", "test"):
        raise ConfigError(f"split must be 'train' or 'test', got {split!r}.")


def _check_fraction(test_fraction: float) -> None:
    if not 0.0 < test_fraction < 1.0:
        raise ConfigError(f"test_fraction must lie strictly between 0 and 1, got {test_fraction}.")


def _deduplicate(seqs: list[str], labels: np.ndarray) -> tuple[np.ndarray, int, int]:
    """Indices of the first copy of each sequence; sequences seen with two labels are dropped.

    Returns (kept indices, duplicate copies dropped, conflicting sequences dropped).
    """
    first: dict[str, int] = {}
    label_sets: dict[str, set[int]] = {}
    for i, s in enumerate(seqs):
        first.setdefault(s, i)
        label_sets.setdefault(s, set()).add(int(labels[i]))
    conflicting = {s for s, ls in label_sets.items() if len(ls) > 1}
    kept = np.array(sorted(i for s, i in first.items() if s not in conflicting), dtype=np.int64)
    n_conflict_rows = sum(1 for s in seqs if s in conflicting)
    return kept, len(seqs) - len(first) - (n_conflict_rows - len(conflicting)), len(conflicting)


def stratified_split(
    labels: np.ndarray, test_fraction: float, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Deterministic stratified (train_idx, test_idx); round(f * n_c) of each class go to test.

    Both index arrays are shuffled (same seed) so that no prefix is a single class.
    """
    _check_fraction(test_fraction)
    labels = np.asarray(labels)
    rng = np.random.default_rng(seed)
    train_parts, test_parts = [], []
    for c in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == c))
        n_test = int(round(test_fraction * members.size))
        test_parts.append(members[:n_test])
        train_parts.append(members[n_test:])
    train_idx = rng.permutation(np.concatenate(train_parts))
    test_idx = rng.permutation(np.concatenate(test_parts))
    return train_idx, test_idx


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
    _check_split(split)
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
    kept, n_dup, n_conflict = _deduplicate(seqs, labels_arr)
    if upstream_split:
        want = 0 if split == "train" else 1
        origin_arr = np.array(origin)
        idx = kept[origin_arr[kept] == want]
        how = "janggu's own train/test files"
    else:
        _check_fraction(test_fraction)
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
    _check_split(split)
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


# --------------------------------------------------------------------------- UCI splice junctions


def find_splice_data(path: str | Path | None) -> Path:
    if path is not None:
        p = Path(path).expanduser()
        candidates = [p] if not p.is_dir() else [p / _MLBENCH_REL, p / "DNA.rda"]
    else:
        candidates = list(_MLBENCH_SYSTEM)
    for c in candidates:
        if c.is_file():
            return c
    raise ConfigError(
        "UCI splice-junction data (mlbench DNA.rda) not found; looked at "
        f"{', '.join(str(c) for c in candidates)}. Fix: {MLBENCH_APT}; and {RDATA_INSTALL}."
    )


def load_splice_junctions(
    split: Split,
    *,
    path: str | Path | None = None,
    seed: int = 0,
    test_fraction: float = 0.2,
) -> GenomicDataset:
    """UCI/StatLog primate splice junctions: 60 bp, class_names ("ei", "ie", "n").

    ``path`` is ``DNA.rda`` itself or a folder that ``dpkg -x`` unpacked the
    r-cran-mlbench .deb into; by default the system R library is searched.
    Each base is stored as 3 indicator columns (A=100, C=010, G=001, T=000).
    The file has 185 duplicate rows and one sequence with two labels; both
    are dropped before the stratified split.
    """
    _check_split(split)
    _check_fraction(test_fraction)
    rda = find_splice_data(path)
    try:
        import rdata
    except ImportError as exc:
        raise ConfigError(
            f"reading {rda} needs the pure-Python 'rdata' package, which is not installed. "
            f"Fix: {RDATA_INSTALL}"
        ) from exc
    with warnings.catch_warnings():
        # The .rda declares no string encoding; the content is ASCII, so rdata's guess is right.
        warnings.filterwarnings("ignore", message="Unknown encoding")
        try:
            df = rdata.read_rda(str(rda))["DNA"]
        except Exception as exc:  # rdata raises many types on a bad file
            raise ConfigError(
                f"{rda}: could not read object 'DNA' with rdata ({exc!r}). "
                f"Fix: re-extract r-cran-mlbench ({MLBENCH_APT})."
            ) from exc
    cols = [f"V{i}" for i in range(1, 3 * SPLICE_SEQ_LEN + 1)]
    missing = [c for c in cols + ["Class"] if c not in df.columns]
    if missing:
        raise ConfigError(
            f"{rda}: object 'DNA' lacks columns {missing[:5]}...; not the mlbench file?"
        )
    bits = (df[cols].astype(str).to_numpy() == "1").astype(np.int64).reshape(-1, SPLICE_SEQ_LEN, 3)
    code = bits[..., 0] * 4 + bits[..., 1] * 2 + bits[..., 2]
    code_to_token = np.full(8, -1, dtype=np.int64)
    code_to_token[[4, 2, 1, 0]] = [0, 1, 2, 3]  # A, C, G, T
    tokens = code_to_token[code]
    if (tokens < 0).any():
        row = int(np.flatnonzero((tokens < 0).any(1))[0]) + 1
        raise ConfigError(
            f"{rda}: row {row} has a base coded with more than one indicator bit set."
        )
    class_col = df["Class"].astype(str).to_numpy()
    class_names = tuple(sorted(set(class_col.tolist())))
    labels = np.array([class_names.index(c) for c in class_col], dtype=np.int64)
    strings = ["".join("ACGT"[t] for t in row) for row in tokens.tolist()]
    kept, n_dup, n_conflict = _deduplicate(strings, labels)
    train_idx, test_idx = stratified_split(labels[kept], test_fraction, seed)
    idx = kept[train_idx if split == "train" else test_idx]
    return GenomicDataset(
        name="uci_splice",
        sequences=tokens[idx],
        labels=labels[idx],
        class_names=class_names,
        split=split,
        source=(
            f"UCI/StatLog splice junctions from {rda} (r-cran-mlbench, GPL-2); dropped {n_dup} "
            f"duplicate and {n_conflict} label-conflicting sequences; stratified split "
            f"test_fraction={test_fraction} seed={seed}"
        ),
        ids=tuple(f"row{i + 1}" for i in idx.tolist()),
    )
