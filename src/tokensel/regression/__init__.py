"""The nonparametric-regression experiment (the paper's Theorems 4.5 and 4.6; the paper runs none).

``config`` -> ``smooth`` (the smooth part g) + ``data`` (importance, the sorting map Gamma,
samples) -> ``train`` -> ``stage`` (one DVC cell) -> ``analysis`` (slopes, verdict) and ``plots``.
"""
