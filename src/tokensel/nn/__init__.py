"""Models from blocks: filters -> mixers (a registry) -> FNN and residual blocks -> sequence models."""
