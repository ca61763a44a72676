"""Consensus motifs: a synthetic motif-planting task and a motif scanner.

Consensus representation
------------------------
A consensus is a string of IUPAC nucleotide codes (``A C G T R Y S W K M B D H V N``,
case-insensitive) in which any parenthesised group is *optional*: it is either
present as a whole or absent, independently of other groups. So the MafK
recognition element ``TGCTGA(C)(G)TCAGCA`` stands for the four concrete
patterns ``TGCTGATCAGCA``, ``TGCTGACTCAGCA``, ``TGCTGAGTCAGCA`` and
``TGCTGACGTCAGCA`` (T-MARE and C-MARE included). Each concrete pattern is a
list of per-position sets of allowed bases, stored as 4-bit masks
(A=1, C=2, G=4, T=8) so that matching is a vectorised bit test and the
reverse complement is a bit reversal. An ``N`` in a *sequence* never matches
anything: an unknown base is no evidence for a motif.

Planting
--------
:func:`plant_motifs` draws each sequence independently from one RNG seeded by
``seed`` (same parameters and seed -> bit-identical output):

* labels are balanced (class sizes differ by at most one) and shuffled;
* each sequence gets ``k ~ U{n_per_seq}`` instances of its class's motif,
  each instance a random concrete variant with random bases at degenerate
  positions, on a random strand, at random non-overlapping positions;
* GC is matched *exactly in distribution*: the total G+C count of every
  sequence is drawn from Binomial(length, gc) independently of the class,
  and the background is filled so that the whole sequence reaches it. A
  GC-rich motif therefore does not make its class GC-rich, and GC alone
  cannot separate the classes (up to rare clipping when a sequence is almost
  all motif);
* sequences whose background happens to contain any class's motif (on either
  strand, including across a motif boundary) are redrawn, so the label is
  always "which motif is present" and the mask is exact.

An empty consensus ``""`` is allowed for one class and means "no motif":
that gives a motif-vs-background task.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping

import numpy as np

from tokensel.core.errors import ConfigError
from tokensel.genomic.datasets import GenomicDataset
from tokensel.genomic.sequences import PAD_ID, decode

#: Ground-truth motifs for the janggu Oct4-vs-MafK task: the Oct4 octamer and the MafK MARE
#: (consensus sequences from the JASPAR database, jaspar.genereg.net).
OCT4_OCTAMER = "ATGCAAAT"
MAFK_MARE = "TGCTGA(C)(G)TCAGCA"
#: MARE half-site TGCTGA[CG]; far more frequent in MafK peaks than the full palindrome.
MAFK_MARE_HALF_SITE = "TGCTGAS"
JANGGU_MOTIFS: dict[str, str] = {"MafK": MAFK_MARE, "Oct4": OCT4_OCTAMER}

_IUPAC: dict[str, int] = {
    "A": 1, "C": 2, "G": 4, "T": 8,
    "R": 1 | 4, "Y": 2 | 8, "S": 2 | 4, "W": 1 | 8, "K": 4 | 8, "M": 1 | 2,
    "B": 2 | 4 | 8, "D": 1 | 4 | 8, "H": 1 | 2 | 8, "V": 1 | 2 | 4,
    "N": 1 | 2 | 4 | 8,
}  # fmt: skip
# Bit reversal over 4 bits swaps A<->T and C<->G, i.e. complements any IUPAC set.
_COMPLEMENT_MASK = np.array([int(f"{m:04b}"[::-1], 2) for m in range(16)], dtype=np.int64)
# Bit of each sequence token; N and PAD get 0 so they never match.
_TOKEN_BIT = np.array([1, 2, 4, 8, 0, 0], dtype=np.uint8)
# Bases allowed by each 4-bit mask, left-aligned in a (16, 4) table, and how many there are.
_MASK_COUNT = np.array([bin(m).count("1") for m in range(16)], dtype=np.int64)
_MASK_TABLE = np.array(
    [[b for b in range(4) if m >> b & 1] + [0] * (4 - bin(m).count("1")) for m in range(16)],
    dtype=np.int64,
)
_TOKEN_RE = re.compile(r"\(([^()]*)\)|([^()])")


def parse_consensus(consensus: str) -> list[np.ndarray]:
    """Expand a consensus into its concrete variants (int64 arrays of 4-bit base masks).

    Variants are ordered from fewest to most optional groups present and are
    de-duplicated. Raises ConfigError on unknown codes, nested or unbalanced
    parentheses, or empty groups.
    """
    if not isinstance(consensus, str):
        raise ConfigError(f"motif consensus must be a string, got {type(consensus).__name__}.")
    text = consensus.upper().replace(" ", "")
    if text.count("(") != text.count(")") or re.search(r"\([^)]*\(", text):
        raise ConfigError(
            f"motif {consensus!r}: unbalanced or nested parentheses. "
            "Fix: write each optional part as its own flat group, e.g. 'TGCTGA(C)(G)TCAGCA'."
        )
    parts: list[tuple[list[int], bool]] = []
    for m in _TOKEN_RE.finditer(text):
        group, single = m.group(1), m.group(2)
        codes = group if group is not None else single
        if group is not None and not group:
            raise ConfigError(f"motif {consensus!r}: empty optional group '()'.")
        bad = sorted({c for c in codes if c not in _IUPAC})
        if bad:
            raise ConfigError(
                f"motif {consensus!r}: unknown characters {', '.join(map(repr, bad))}. "
                "Fix: use IUPAC codes ACGTRYSWKMBDHVN and '(...)' for optional bases."
            )
        parts.append(([_IUPAC[c] for c in codes], group is not None))
    optional = [i for i, (_, opt) in enumerate(parts) if opt]
    variants: list[np.ndarray] = []
    seen: set[tuple[int, ...]] = set()
    for r in range(len(optional) + 1):
        for present in itertools.combinations(optional, r):
            keep = set(present)
            masks = tuple(
                c for i, (codes, opt) in enumerate(parts) if not opt or i in keep for c in codes
            )
            if masks and masks not in seen:
                seen.add(masks)
                variants.append(np.array(masks, dtype=np.int64))
    return variants


def _check_tokens(sequences: np.ndarray) -> np.ndarray:
    seqs = np.asarray(sequences)
    if seqs.ndim not in (1, 2) or not np.issubdtype(seqs.dtype, np.integer):
        raise ConfigError(
            f"sequences must be an encoded int array of shape (L,) or (n, L), got "
            f"dtype {seqs.dtype} shape {seqs.shape}. Fix: encode with tokensel.genomic.encode."
        )
    if seqs.size and (seqs.min() < 0 or seqs.max() > PAD_ID):
        raise ConfigError(f"sequences hold token ids outside 0..{PAD_ID}.")
    return seqs


def motif_mask(sequences: np.ndarray, motif: str) -> np.ndarray:
    """Boolean mask, same shape as ``sequences``, of every base inside an occurrence of ``motif``.

    Occurrences of every concrete variant are found on both strands (the
    reverse complement of each variant is scanned too) and may overlap.
    ``sequences`` is an encoded (n, L) or (L,) int array; N and PAD never match.
    """
    seqs = _check_tokens(sequences)
    squeeze = seqs.ndim == 1
    seqs2 = seqs[None, :] if squeeze else seqs
    n, length = seqs2.shape
    out = np.zeros((n, length), dtype=bool)
    if not motif:
        return out[0] if squeeze else out
    bits = _TOKEN_BIT[seqs2]
    for variant in parse_consensus(motif):
        m = len(variant)
        if m > length:
            continue
        rc = _COMPLEMENT_MASK[variant][::-1]
        patterns = [variant] if np.array_equal(rc, variant) else [variant, rc]
        width = length - m + 1
        for pat in patterns:
            # AND over motif positions of 2-D slices: far less memory than a (n, W, m) window view.
            hit = np.ones((n, width), dtype=bool)
            for j, allowed in enumerate(pat.tolist()):
                hit &= (bits[:, j : j + width] & allowed) != 0
            if not hit.any():
                continue
            # Spread each hit start over the m bases it covers.
            for offset in range(m):
                out[:, offset : offset + width] |= hit
    return out[0] if squeeze else out


def _sample_variant(variants: list[np.ndarray], rng: np.random.Generator) -> np.ndarray:
    masks = variants[rng.integers(len(variants))]
    bases = _MASK_TABLE[masks, rng.integers(0, _MASK_COUNT[masks])]
    if rng.random() < 0.5:
        bases = 3 - bases[::-1]
    return bases


def _draw_sequence(
    length: int,
    variants: list[np.ndarray],
    gc: float,
    n_range: tuple[int, int],
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    k = int(rng.integers(n_range[0], n_range[1] + 1)) if variants else 0
    instances = [_sample_variant(variants, rng) for _ in range(k)]
    total = sum(len(x) for x in instances)
    seq = np.empty(length, dtype=np.int64)
    planted = np.zeros(length, dtype=bool)
    # Uniform non-overlapping placement: choose k gap offsets as a sorted multiset
    # (k distinct draws from free+k slots, minus their rank).
    free = length - total
    offsets = np.sort(rng.choice(free + k, size=k, replace=False)) - np.arange(k) if k else []
    start_shift = 0
    for off, inst in zip(offsets, instances):
        s = int(off) + start_shift
        seq[s : s + len(inst)] = inst
        planted[s : s + len(inst)] = True
        start_shift += len(inst)
    motif_gc = int(sum(int(((x == 1) | (x == 2)).sum()) for x in instances))
    bg = np.flatnonzero(~planted)
    target_gc = int(rng.binomial(length, gc))
    n_gc = min(max(target_gc - motif_gc, 0), bg.size)
    is_gc = np.zeros(bg.size, dtype=bool)
    is_gc[rng.choice(bg.size, size=n_gc, replace=False)] = True
    # C/G are tokens 1/2, A/T are 0/3.
    pick = rng.integers(0, 2, size=bg.size)
    seq[bg] = np.where(is_gc, 1 + pick, 3 * pick)
    return seq, planted


def plant_motifs(
    n: int,
    length: int,
    motifs: Mapping[str, str],
    gc: float = 0.45,
    seed: int = 0,
    n_per_seq: tuple[int, int] = (1, 1),
    *,
    name: str = "planted_motifs",
    split: str = "train",
    max_redraws: int = 200,
) -> tuple[GenomicDataset, np.ndarray]:
    """Generate a labelled motif-planting task and the (n, length) mask of planted bases.

    ``motifs`` maps class name -> consensus (see module docstring); class
    labels index ``sorted(motifs)``. ``n_per_seq`` is the inclusive range of
    motif instances per sequence. A pure function of its arguments.
    """
    if not isinstance(motifs, Mapping) or len(motifs) < 2:
        raise ConfigError(
            "motifs must map at least two class names to consensus strings, e.g. "
            "{'MafK': 'TGCTGA(C)(G)TCAGCA', 'Oct4': 'ATGCAAAT'}."
        )
    class_names = tuple(sorted(motifs))
    parsed = {c: parse_consensus(motifs[c]) if motifs[c] else [] for c in class_names}
    if sum(1 for c in class_names if not parsed[c]) > 1:
        raise ConfigError("at most one class may have an empty motif (the background class).")
    if n < len(class_names):
        raise ConfigError(f"n={n} is smaller than the number of classes ({len(class_names)}).")
    lo, hi = n_per_seq
    if not (isinstance(lo, (int, np.integer)) and isinstance(hi, (int, np.integer))) or not (
        1 <= lo <= hi
    ):
        raise ConfigError(
            f"n_per_seq must be (lo, hi) integers with 1 <= lo <= hi, got {n_per_seq}."
        )
    if not 0.0 < gc < 1.0:
        raise ConfigError(f"gc must lie strictly between 0 and 1, got {gc}.")
    longest = max((len(v) for vs in parsed.values() for v in vs), default=0)
    if hi * longest > length:
        raise ConfigError(
            f"{hi} instances of a {longest}-base motif do not fit in length={length}. "
            "Fix: raise length or lower n_per_seq."
        )

    rng = np.random.default_rng(seed)
    labels = np.arange(n) % len(class_names)
    rng.shuffle(labels)
    seqs = np.empty((n, length), dtype=np.int64)
    planted = np.zeros((n, length), dtype=bool)
    for i, y in enumerate(labels.tolist()):
        seqs[i], planted[i] = _draw_sequence(length, parsed[class_names[y]], gc, (lo, hi), rng)

    # Redraw sequences where some motif occurs outside the planted instances.
    todo = np.arange(n)
    for _ in range(max_redraws + 1):
        bad = np.zeros(todo.size, dtype=bool)
        for ci, c in enumerate(class_names):
            if not motifs[c]:
                continue
            hits = motif_mask(seqs[todo], motifs[c])
            own = labels[todo] == ci
            bad |= np.where(own, (hits != planted[todo]).any(1), hits.any(1))
        todo = todo[bad]
        if todo.size == 0:
            break
        for i in todo.tolist():
            seqs[i], planted[i] = _draw_sequence(
                length, parsed[class_names[labels[i]]], gc, (lo, hi), rng
            )
    else:
        example = decode(seqs[todo[0]])
        raise ConfigError(
            f"could not draw sequences free of stray motif occurrences after {max_redraws} "
            f"redraws ({todo.size} left, e.g. {example[:60]}...). The motifs are too short or "
            "degenerate for this length, or one motif contains another. Fix: use longer or "
            "more specific motifs, or shorter sequences."
        )

    ds = GenomicDataset(
        name=name,
        sequences=seqs,
        labels=labels.astype(np.int64),
        class_names=class_names,
        split=split,
        source=(
            f"synthetic motif planting: motifs={dict((c, motifs[c]) for c in class_names)}, "
            f"length={length}, gc={gc}, n_per_seq={tuple(n_per_seq)}, seed={seed}"
        ),
    )
    return ds, planted


__all__ = [
    "JANGGU_MOTIFS",
    "MAFK_MARE",
    "MAFK_MARE_HALF_SITE",
    "OCT4_OCTAMER",
    "motif_mask",
    "parse_consensus",
    "plant_motifs",
]
