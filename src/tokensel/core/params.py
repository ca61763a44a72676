"""Typed configuration from ``params.yaml``: every value checked, every problem named by its full key.

Each experiment describes its section of the params file as frozen dataclasses; ``build`` turns a
mapping into them and checks, from the type annotations alone:

* types: ``int`` (not a bool, not ``6.5``, not ``"6"``), ``float`` (an int is fine), ``bool``,
  ``str``, ``Literal[...]`` choices, ``X | None``, ``tuple[X, ...]`` lists, ``dict[str, X]``
  mappings and nested dataclasses;
* ranges, written into the annotation: ``Annotated[int, AtLeast(1)]`` (see ``PositiveInt`` etc.);
* keys: an unknown key fails with the closest valid key suggested, a missing required key fails.

Every problem of a section is collected and raised together as one ``ConfigError``, one line per
problem, each starting with the dotted key (``'synthetic.train.steps' must be an integer ...``).
Checks that involve several fields live in the dataclass's ``__post_init__`` and raise
``FieldError(field, message)``; ``build`` prefixes the key there too. Reading the params file
itself is ``tokensel.core.params_file``.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
import types
from typing import (
    Annotated,
    Any,
    Literal,
    Mapping,
    TypeVar,
    Union,
    get_args,
    get_origin,
    get_type_hints,
)

from tokensel.core.errors import ConfigError, FieldError

T = TypeVar("T")


@dataclasses.dataclass(frozen=True)
class AtLeast:
    low: float

    def problem(self, value: float) -> str | None:
        return None if value >= self.low else f"must be at least {self.low:g}"


@dataclasses.dataclass(frozen=True)
class Above:
    low: float

    def problem(self, value: float) -> str | None:
        return None if value > self.low else f"must be greater than {self.low:g}"


@dataclasses.dataclass(frozen=True)
class Between:
    """Inclusive range [low, high]."""

    low: float
    high: float

    def problem(self, value: float) -> str | None:
        return None if self.low <= value <= self.high else f"must be between {self.low:g} and {self.high:g}"


@dataclasses.dataclass(frozen=True)
class NonEmpty:
    def problem(self, value: Any) -> str | None:
        return None if len(value) > 0 else "must list at least one value"


@dataclasses.dataclass(frozen=True)
class Distinct:
    def problem(self, value: Any) -> str | None:
        return None if len(set(value)) == len(value) else f"lists a value twice: {list(value)}"


PositiveInt = Annotated[int, AtLeast(1)]
NonNegativeInt = Annotated[int, AtLeast(0)]
PositiveFloat = Annotated[float, Above(0)]
NonNegativeFloat = Annotated[float, AtLeast(0)]
Probability = Annotated[float, Between(0, 1)]

_NUMBER_TEXT = re.compile(r"^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$")


def describe(value: Any) -> str:
    """A params value with its type in words, for messages (``'6' (a string)``)."""
    kind = {bool: "a boolean", str: "a string", int: "an integer", float: "a number", list: "a list", dict: "a mapping"}
    return f"{value!r} ({kind.get(type(value), type(value).__name__)})"


def _quoted_number_hint(value: Any) -> str:
    if isinstance(value, str) and _NUMBER_TEXT.match(value):
        return "; write it without quotes, and with a dot before any exponent (1.0e-3: YAML reads 1e-3 as text)"
    return ""


class _Builder:
    """Converts one value against one annotation, appending problems instead of raising."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def fail(self, key: str, message: str) -> None:
        self.problems.append(f"'{key}' {message}.")

    def convert(self, value: Any, annotation: Any, key: str) -> Any:
        origin, args = get_origin(annotation), get_args(annotation)
        if origin is Annotated:
            converted = self.convert(value, args[0], key)
            if converted is not _INVALID:
                for constraint in args[1:]:
                    problem = constraint.problem(converted)
                    if problem:
                        self.fail(key, f"{problem}, got {value!r}")
                        return _INVALID
            return converted
        if annotation is Any:
            return value
        if origin in (Union, types.UnionType):
            return self._union(value, args, key)
        if origin is Literal:
            if value in args and not isinstance(value, bool):
                return value
            close = difflib.get_close_matches(str(value), [str(a) for a in args], n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            self.fail(key, f"is {describe(value)}{hint}; allowed values: {', '.join(map(str, args))}")
            return _INVALID
        if origin is tuple:
            if not isinstance(value, (list, tuple)):
                self.fail(key, f"must be a list, got {describe(value)}")
                return _INVALID
            items = [self.convert(v, args[0], f"{key}[{i}]") for i, v in enumerate(value)]
            return _INVALID if _INVALID in items else tuple(items)
        if origin is dict:
            if not isinstance(value, Mapping):
                self.fail(key, f"must be a mapping of names to settings, got {describe(value)}")
                return _INVALID
            items = {str(name): self.convert(v, args[1], f"{key}.{name}") for name, v in value.items()}
            return _INVALID if _INVALID in items.values() else items
        if isinstance(annotation, type) and hasattr(annotation, "from_params"):
            return self._nested(annotation.from_params, value, key)
        if dataclasses.is_dataclass(annotation):
            return self._nested(lambda data, k: build(annotation, data, k), value, key)
        return self._scalar(value, annotation, key)

    def _nested(self, builder, value: Any, key: str) -> Any:
        try:
            return builder(value, key)
        except ConfigError as error:
            self.problems.extend(error.problems)
            return _INVALID

    def _union(self, value: Any, args: tuple, key: str) -> Any:
        if value is None:
            if type(None) in args:
                return None
            self.fail(key, "must be set (it is empty)")
            return _INVALID
        members = [a for a in args if a is not type(None)]
        attempts = []
        for member in members:
            trial = _Builder()
            converted = trial.convert(value, member, key)
            if converted is not _INVALID:
                return converted
            attempts.extend(trial.problems)
        self.problems.append(attempts[0] if len(members) == 1 else " or ".join(p.rstrip(".") for p in attempts) + ".")
        return _INVALID

    def _scalar(self, value: Any, annotation: type, key: str) -> Any:
        if annotation is bool:
            if isinstance(value, bool):
                return value
            self.fail(key, f"must be true or false, got {describe(value)}")
        elif annotation is int:
            if isinstance(value, int) and not isinstance(value, bool):
                return value
            self.fail(key, f"must be an integer, got {describe(value)}{_quoted_number_hint(value)}")
        elif annotation is float:
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                return float(value)
            self.fail(key, f"must be a number, got {describe(value)}{_quoted_number_hint(value)}")
        elif annotation is str:
            if isinstance(value, str):
                return value
            self.fail(key, f"must be text, got {describe(value)}")
        else:
            raise TypeError(f"params annotation {annotation!r} at '{key}' is not supported")
        return _INVALID


_INVALID = object()


def fields_of(cls: type) -> dict[str, Any]:
    """The init fields of dataclass ``cls`` with their resolved annotations (extras kept)."""
    hints = get_type_hints(cls, include_extras=True)
    return {f.name: hints[f.name] for f in dataclasses.fields(cls) if f.init}


def unknown_key_problems(key: str, given: Mapping[str, Any], valid: list[str]) -> list[str]:
    problems = []
    for name in given:
        if name in valid:
            continue
        close = difflib.get_close_matches(str(name), valid, n=1)
        hint = f" Did you mean '{close[0]}'?" if close else ""
        problems.append(f"Unknown key '{key}.{name}'.{hint} Valid keys in '{key}': {', '.join(valid)}.")
    return problems


def build(cls: type[T], data: Any, key: str) -> T:
    """Dataclass ``cls`` from the mapping ``data`` found at dotted ``key`` of the params file.

    Raises ``ConfigError`` listing every problem (types, ranges, unknown and missing keys, and the
    dataclass's own cross-field checks), each naming its full dotted key.
    """
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        raise ConfigError(f"'{key}' must be a mapping of keys to values, got {describe(data)}.")
    annotations = fields_of(cls)
    builder = _Builder()
    builder.problems.extend(unknown_key_problems(key, data, list(annotations)))
    kwargs = {}
    defaults = {f.name for f in dataclasses.fields(cls) if f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING}
    for name, annotation in annotations.items():
        if name not in data:
            if name not in defaults:
                builder.problems.append(f"'{key}.{name}' is missing; add it to the params file.")
            continue
        converted = builder.convert(data[name], annotation, f"{key}.{name}")
        if converted is not _INVALID:
            kwargs[name] = converted
    if builder.problems:
        raise ConfigError(builder.problems)
    try:
        return cls(**kwargs)
    except FieldError as error:
        where = f"{key}.{error.field}" if error.field else key
        raise ConfigError(f"'{where}' {error.message.rstrip('.')}.") from None


def check(condition: bool, field: str | None, message: str) -> None:
    """For ``__post_init__``: fail on ``field`` (None: the whole section) unless ``condition``."""
    if not condition:
        raise FieldError(field, message)


def convert(value: Any, annotation: Any, key: str) -> Any:
    """One value against one annotation (e.g. ``tuple[PositiveInt, ...]``), problems raised together."""
    builder = _Builder()
    converted = builder.convert(value, annotation, key)
    if builder.problems:
        raise ConfigError(builder.problems)
    return converted
