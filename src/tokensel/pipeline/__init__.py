"""Running the experiments as one pipeline: the experiment registry, params validation, profiles,
the index page and stage timings. Nothing in an experiment package imports from here."""
