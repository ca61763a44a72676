"""tokensel: SSM+FNN versus Transformers in dynamic token selection (arXiv 2405.19036)."""

__version__ = "0.1.0"
