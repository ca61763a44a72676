"""Errors raised on bad input, before any expensive work starts."""

from __future__ import annotations


class ConfigError(ValueError):
    """One or more parameters, files or data items are invalid.

    Each problem is one line that names the full dotted params key (or the file) and the fix, so
    that ``python -m tokensel.pipeline.validate`` can print every problem of a params file at once.
    """

    def __init__(self, problems: str | list[str]):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(self.problems))


class FieldError(ValueError):
    """Raised by a config dataclass's own checks; the params builder prefixes the dotted key.

    ``field`` names the offending field (None: the whole section).
    """

    def __init__(self, field: str | None, message: str):
        self.field = field
        self.message = message
        super().__init__(message)


class TrainingDiverged(RuntimeError):
    """The loss became NaN or infinite; the message names the run and suggests a fix."""
