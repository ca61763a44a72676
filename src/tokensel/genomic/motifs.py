"""Consensus motifs: parsing, scanning both strands, and drawing instances.

A consensus is a string of IUPAC nucleotide codes (``A C G T R Y S W K M B D H V N``,
case-insensitive) in which any parenthesised group is *optional*: it is either present as a whole
or absent, independently of other groups. So the MafK recognition element ``TGCTGA(C)(G)TCAGCA``
stands for the four concrete patterns ``TGCTGATCAGCA``, ``TGCTGACTCAGCA``, ``TGCTGAGTCAGCA`` and
``TGCTGACGTCAGCA``. Each concrete pattern is a list of per-position sets of allowed bases, stored as
4-bit masks (A=1, C=2, G=4, T=8), so that matching is a vectorised bit test and the reverse
complement is a bit reversal. An ``N`` in a *sequence* never matches anything: an unknown base is
no evidence for a motif.
"""

from __future__ import annotations

import itertools
import re

import numpy as np

from tokensel.core.errors import ConfigError
from tokensel.genomic.sequences import PAD_ID

#: Ground-truth motifs for the janggu Oct4-vs-MafK task: the Oct4 octamer and the MafK MARE
#: (consensus sequences from the JASPAR database, jaspar.genereg.net).
OCT4_OCTAMER = "ATGCAAAT"
MAFK_MARE = "TGCTGA(C)(G)TCAGCA"
#: MARE half-site TGCTGA[CG] and the T-MARE core TGCTGA[CG]TCA: in the janggu files the full
#: palindrome is rare, the half-site and the T-MARE core are the frequent MafK signals.
MAFK_MARE_HALF_SITE = "TGCTGAS"
MAFK_T_MARE = "TGCTGASTCA"

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


def sample_instance(variants: list[np.ndarray], rng: np.random.Generator, random_strand: bool = True) -> np.ndarray:
    """Bases (0..3) of one instance: a random concrete variant, random bases at degenerate
    positions, and (``random_strand``) the reverse complement with probability 1/2."""
    masks = variants[rng.integers(len(variants))]
    bases = _MASK_TABLE[masks, rng.integers(0, _MASK_COUNT[masks])]
    if random_strand and rng.random() < 0.5:
        bases = 3 - bases[::-1]
    return bases


def strand_patterns(consensus: str) -> list[np.ndarray]:
    """Every concrete variant of ``consensus`` and its reverse complement, without duplicates, as
    (m, 4) 0/1 tables of the allowed bases at each position (what a scanner matches)."""
    tables: dict[bytes, np.ndarray] = {}
    for variant in parse_consensus(consensus):
        for masks in (variant, _COMPLEMENT_MASK[variant][::-1]):
            table = ((masks[:, None] >> np.arange(4)) & 1).astype(np.float32)
            tables.setdefault(table.tobytes(), table)
    return list(tables.values())


def union_motif_mask(sequences: np.ndarray, motifs: list[str] | tuple[str, ...]) -> np.ndarray:
    """Bases covered by an occurrence of any of ``motifs`` (either strand), same shape as ``sequences``."""
    seqs = _check_tokens(sequences)
    mask = np.zeros(seqs.shape, dtype=bool)
    for motif in motifs:
        mask |= motif_mask(seqs, motif)
    return mask
