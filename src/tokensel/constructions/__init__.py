"""The constructions experiment: networks of the library's own modules whose every weight is set
by a formula (the paper's Lemma 3.3, Theorems 3.1 and 3.2), what they cost, where float32 breaks
them, lower bounds for the class, and a bridge from them to training. Derivations:
docs/constructions.md."""
