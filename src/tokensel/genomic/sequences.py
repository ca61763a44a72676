"""DNA alphabet, integer encoding and a strict FASTA reader.

Token ids (``VOCAB_SIZE == 6``)::

    A=0  C=1  G=2  T=3  N=4  PAD=5

* ``N`` (unknown base) gets its own token instead of being rejected: real genome
  windows (e.g. Genomic Benchmarks' Ensembl-derived sets) do contain ``N`` runs,
  and dropping or randomising them would silently change the data. A model can
  learn that ``N`` carries no information; an attribution method can see it.
* ``PAD`` only ever comes from :func:`fit_to_length`; it is never produced by
  parsing, so padding can always be told apart from sequence content.
* Every other character -- including the IUPAC ambiguity codes ``R, Y, S, ...``,
  gaps ``-`` and ``*`` -- is rejected with :class:`~tokensel.core.errors.ConfigError`.
  Such characters appear in alignments and protein files, not in the
  classification data used here, so seeing one almost always means the wrong
  file was given.
* Lower-case (soft-masked repeat) bases are accepted and upper-cased; the
  repeat annotation is dropped on purpose so that models see bases, not
  RepeatMasker output.

With A=0, C=1, G=2, T=3 the complement of a base token ``b`` is ``3 - b``.
"""

from __future__ import annotations

import gzip
import os
from pathlib import Path
from typing import Literal, NamedTuple

import numpy as np

from tokensel.core.errors import ConfigError

ALPHABET = "ACGT"
N_ID = 4
PAD_ID = 5
VOCAB_SIZE = 6
#: Characters that decode each token id; PAD is shown as '-' so decoded strings keep their length.
TOKEN_CHARS = "ACGTN-"

# 256-entry byte -> token lookup; -1 marks a character we refuse.
_LUT = np.full(256, -1, dtype=np.int64)
for _i, _c in enumerate(ALPHABET + "N"):
    _LUT[ord(_c)] = _i
    _LUT[ord(_c.lower())] = _i
del _i, _c

# Complement per token id; N and PAD map to themselves.
_COMPLEMENT = np.array([3, 2, 1, 0, N_ID, PAD_ID], dtype=np.int64)


class Record(NamedTuple):
    """One FASTA record: header text (without '>') and upper-cased sequence."""

    name: str
    seq: str


_VALID_DELETE = str.maketrans("", "", "ACGTNacgtn")


def unknown_characters(seq: str) -> list[str]:
    """Sorted list of characters in ``seq`` that are not A/C/G/T/N (any case)."""
    # str.translate is C-speed; this runs once per record on large files.
    return sorted(set(seq.translate(_VALID_DELETE)))


def _format_chars(chars: list[str]) -> str:
    return ", ".join(repr(c) for c in chars)


def encode(seq: str) -> np.ndarray:
    """Encode a DNA string (case-insensitive A/C/G/T/N) as an int64 token array.

    Raises ConfigError listing any other characters.
    """
    bad = unknown_characters(seq)
    if bad:
        raise ConfigError(
            f"DNA sequence contains characters outside A/C/G/T/N: {_format_chars(bad)}. "
            "Fix: replace ambiguity codes with N (or drop the sequence) before encoding."
        )
    raw = np.frombuffer(seq.encode("ascii"), dtype=np.uint8)
    return _LUT[raw].copy()


def decode(tokens: np.ndarray) -> str:
    """Inverse of :func:`encode` for a 1-D token array; PAD decodes to '-'."""
    tokens = np.asarray(tokens)
    if tokens.ndim != 1:
        raise ConfigError(f"decode expects a 1-D token array, got shape {tokens.shape}.")
    if tokens.size and (tokens.min() < 0 or tokens.max() >= VOCAB_SIZE):
        raise ConfigError(
            f"decode got token ids outside 0..{VOCAB_SIZE - 1} "
            f"(min {tokens.min()}, max {tokens.max()})."
        )
    return "".join(TOKEN_CHARS[t] for t in tokens.tolist())


def reverse_complement(tokens: np.ndarray) -> np.ndarray:
    """Reverse complement along the last axis; N and PAD stay N and PAD."""
    tokens = np.asarray(tokens)
    return _COMPLEMENT[tokens][..., ::-1].copy()


def fit_to_length(
    tokens: np.ndarray,
    length: int,
    *,
    truncation: Literal["error", "end", "center"] = "error",
    pad_side: Literal["right", "left"] = "right",
) -> np.ndarray:
    """Pad with PAD_ID or cut a 1-D token array to exactly ``length``.

    ``truncation`` says what happens to longer inputs: ``"error"`` refuses
    (the default, so that data are never cut without asking), ``"end"`` keeps
    the first ``length`` tokens, ``"center"`` keeps the central window (useful
    for peak-centred data). ``pad_side="left"`` puts padding first, which suits
    causal models that read out the last position.
    """
    if length <= 0:
        raise ConfigError(f"length must be a positive integer, got {length}.")
    if truncation not in ("error", "end", "center"):
        raise ConfigError(f"truncation must be 'error', 'end' or 'center', got {truncation!r}.")
    if pad_side not in ("right", "left"):
        raise ConfigError(f"pad_side must be 'right' or 'left', got {pad_side!r}.")
    tokens = np.asarray(tokens, dtype=np.int64)
    n = tokens.shape[0]
    if n > length:
        if truncation == "error":
            raise ConfigError(
                f"sequence of length {n} is longer than length={length}. "
                "Fix: raise length, or pass truncation='end' or 'center'."
            )
        start = 0 if truncation == "end" else (n - length) // 2
        return tokens[start : start + length].copy()
    out = np.full(length, PAD_ID, dtype=np.int64)
    if pad_side == "right":
        out[:n] = tokens
    else:
        out[length - n :] = tokens
    return out


def _open_text(path: Path):
    # gzip is handled because genome FASTA is usually shipped compressed.
    if path.suffix == ".gz":
        return gzip.open(path, "rt", encoding="ascii", errors="replace", newline=None)
    return open(path, encoding="ascii", errors="replace", newline=None)


def read_fasta(path: str | os.PathLike[str], fixed_length: int | None = None) -> list[Record]:
    """Parse a (optionally .gz) FASTA file strictly.

    Multi-line records are joined; blank lines are ignored; lower-case bases are
    upper-cased. Raises ConfigError, naming the file, the record (1-based
    number, name and header line) and the fix, for: a missing file, a file
    with no records, sequence text before the first header, an empty header,
    an empty record, characters outside A/C/G/T/N, and -- when
    ``fixed_length`` is given -- any record of a different length.
    """
    p = Path(path).expanduser()
    if not p.is_file():
        raise ConfigError(
            f"FASTA file not found: looked at {p.resolve()} "
            f"(given as {str(path)!r}, working directory {Path.cwd()}). "
            "Fix: check the path, or install the package that ships the file."
        )
    if fixed_length is not None and fixed_length <= 0:
        raise ConfigError(f"fixed_length must be a positive integer or None, got {fixed_length}.")

    records: list[Record] = []
    name: str | None = None
    header_line = 0
    chunks: list[str] = []
    chunk_lines: list[int] = []

    def where(number: int, rec_name: str, line: int) -> str:
        return f"{p}: record {number} ({rec_name!r}, header at line {line})"

    def finish() -> None:
        assert name is not None
        number = len(records) + 1
        seq = "".join(chunks)
        if not seq:
            raise ConfigError(
                f"{where(number, name, header_line)} is empty: no sequence follows the header. "
                "Fix: remove the header or add its sequence."
            )
        bad = unknown_characters(seq)
        if bad:
            # Point at the first offending line so a large file can be fixed by hand.
            offset = min(seq.find(c) for c in bad)
            line_no, pos = header_line, 0
            for chunk_line, chunk in zip(chunk_lines, chunks):
                if pos + len(chunk) > offset:
                    line_no = chunk_line
                    break
                pos += len(chunk)
            raise ConfigError(
                f"{where(number, name, header_line)} contains characters outside A/C/G/T/N: "
                f"{_format_chars(bad)} (first at line {line_no}). "
                "Fix: replace ambiguity codes with N, or remove the record; protein or "
                "alignment files are not accepted."
            )
        if fixed_length is not None and len(seq) != fixed_length:
            raise ConfigError(
                f"{where(number, name, header_line)} has length {len(seq)}, but all records "
                f"must have length {fixed_length}. Fix: trim/extend the record, or call "
                "read_fasta with fixed_length=None and pad/truncate afterwards."
            )
        records.append(Record(name, seq.upper()))

    with _open_text(p) as fh:
        for line_no, raw_line in enumerate(fh, start=1):
            line = raw_line.strip()
            if not line:
                continue
            if line.startswith(">"):
                if name is not None:
                    finish()
                name = line[1:].strip()
                header_line = line_no
                chunks = []
                chunk_lines = []
                if not name:
                    raise ConfigError(
                        f"{p}: record {len(records) + 1} (header at line {line_no}) has an empty "
                        "name. Fix: give every record a name after '>'."
                    )
            else:
                if name is None:
                    raise ConfigError(
                        f"{p}: line {line_no} holds sequence text before any '>' header "
                        f"(starts {line[:20]!r}). Fix: add a '>name' header line above it; "
                        "if this is not a FASTA file, pass the right file."
                    )
                # Internal whitespace is not legal FASTA; keep it so it is reported as unknown.
                chunks.append(line)
                chunk_lines.append(line_no)
    if name is not None:
        finish()
    if not records:
        raise ConfigError(
            f"{p}: no FASTA records found (the file is empty or blank). "
            "Fix: pass a FASTA file with at least one '>name' header and sequence."
        )
    return records
