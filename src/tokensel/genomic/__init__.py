"""The genomic experiment (the paper's Section 7): are the tokens that decide a DNA classifier's
output few, and do they depend on the input?

``sequences`` (DNA encoding, FASTA) and ``motifs`` (scanning) -> ``datasets`` (the container) and
``sources`` (offline real data) -> ``data`` (the motif-order task, the real-data task, motif
relocation) -> ``config`` -> ``models`` (k-mer stem classifier, known-answer motif model) +
``train`` -> ``attribution`` (gradients, in-silico mutagenesis) + ``importance_metrics`` +
``baselines`` -> ``stage`` (one DVC cell) -> ``analysis`` and ``plots``.

Token ids: A=0 C=1 G=2 T=3 N=4 PAD=5 (``VOCAB_SIZE`` = 6). Nothing here downloads anything; every
loader reads files installed by pip and fails with a :class:`~tokensel.core.errors.ConfigError`
that names the install command.
"""
