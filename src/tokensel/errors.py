"""Errors raised on bad input, before any expensive work starts."""


class ConfigError(ValueError):
    """A parameter, file or data item is invalid; the message names it and the fix."""


class TrainingDiverged(RuntimeError):
    """The loss became NaN or infinite; the message names the run and suggests a fix."""
