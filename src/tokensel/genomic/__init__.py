"""The genomic experiment (the paper's Section 7): are the important tokens of DNA classifiers few,
and do they depend on the input?

``sequences`` (DNA encoding, FASTA), ``datasets`` (offline loaders), ``motifs`` (scanning and
planting) -> ``config`` -> ``classifier`` + ``train`` -> ``attribution`` (gradients, in-silico
mutagenesis) + ``importance_metrics`` -> ``stage`` (one DVC cell) -> ``analysis`` and ``plots``.

Token ids: A=0 C=1 G=2 T=3 N=4 PAD=5 (``VOCAB_SIZE`` = 6). Nothing here downloads
anything; every loader reads files installed by pip/apt and fails with a
:class:`~tokensel.core.errors.ConfigError` that names the install command.
"""

from tokensel.genomic.datasets import (
    JANGGU_INSTALL,
    GenomicDataset,
    default_genomic_benchmarks_root,
    gc_baseline_accuracy,
    gc_matched_subset,
    janggu_resources_dir,
    load_genomic_benchmark,
    load_janggu_oct4_mafk,
    load_splice_junctions,
    stratified_split,
)
from tokensel.genomic.motifs import (
    JANGGU_MOTIFS,
    MAFK_MARE,
    MAFK_MARE_HALF_SITE,
    OCT4_OCTAMER,
    motif_mask,
    parse_consensus,
    plant_motifs,
)
from tokensel.genomic.sequences import (
    ALPHABET,
    N_ID,
    PAD_ID,
    VOCAB_SIZE,
    Record,
    decode,
    encode,
    fit_to_length,
    read_fasta,
    reverse_complement,
)

__all__ = [
    "ALPHABET",
    "JANGGU_INSTALL",
    "JANGGU_MOTIFS",
    "MAFK_MARE",
    "MAFK_MARE_HALF_SITE",
    "N_ID",
    "OCT4_OCTAMER",
    "PAD_ID",
    "VOCAB_SIZE",
    "GenomicDataset",
    "Record",
    "decode",
    "default_genomic_benchmarks_root",
    "encode",
    "fit_to_length",
    "gc_baseline_accuracy",
    "gc_matched_subset",
    "janggu_resources_dir",
    "load_genomic_benchmark",
    "load_janggu_oct4_mafk",
    "load_splice_junctions",
    "motif_mask",
    "parse_consensus",
    "plant_motifs",
    "read_fasta",
    "reverse_complement",
    "stratified_split",
]
