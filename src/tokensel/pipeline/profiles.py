"""Parameter profiles: one documented base, small override files, and a params.yaml nobody loses.

* ``profiles/default.yaml`` is the complete, commented default profile (CPU, 2 cores).
* Every other profile (``profiles/paper.yaml``) starts with ``extends: <profile>`` and lists only
  what it changes. Mappings merge key by key; a list or a value replaces the base's; a mapping
  tagged ``!replace`` replaces the base's mapping whole (to drop entries, e.g. datasets).
* ``params.yaml``, the file DVC reads, is the rendered profile. For the default profile it is a
  byte copy of ``profiles/default.yaml`` (comments kept); otherwise a rendered file whose header
  names its profile.

Commands (``python -m tokensel.pipeline.profiles ...``):

* ``use NAME``: write the rendered profile to params.yaml. If params.yaml holds edits (it differs
  from the profile its ``profile:`` key names), nothing is written: the differing keys are listed
  with the two ways on (``save`` them as a profile, or ``use NAME --force``, which keeps a copy in
  ``params.yaml.bak``).
* ``save NAME``: keep the edits of params.yaml as ``profiles/NAME.yaml`` (an override profile).
* ``diff``: the keys where params.yaml differs from its profile.
* ``check [FILE]``: validate a params file (see ``tokensel.pipeline.validate``).
* ``list``: the available profiles.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import shutil
from pathlib import Path
from typing import Any, Mapping

import yaml

from tokensel.core.errors import ConfigError
from tokensel.core.params_file import read_params
from tokensel.pipeline import command
from tokensel.pipeline.validate import problems_of

BASE = "default"
PARAMS = "params.yaml"
BACKUP = "params.yaml.bak"
PROFILE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")


class Replace(dict):
    """A mapping tagged ``!replace`` in an override profile: it replaces the base's mapping whole."""


class _ProfileLoader(yaml.SafeLoader):
    pass


_ProfileLoader.add_constructor("!replace", lambda loader, node: Replace(loader.construct_mapping(node, deep=True)))


class _ProfileDumper(yaml.SafeDumper):
    pass


_ProfileDumper.add_representer(Replace, lambda dumper, data: dumper.represent_mapping("!replace", dict(data)))


def profile_path(name: str, root: Path) -> Path:
    """``profiles/NAME.yaml``; a name that is not a plain file name (a path, a shell word) is refused."""
    if not PROFILE_NAME.match(name):
        raise ConfigError(f"profile name {name!r} is not allowed: use letters, digits, '_' and '-' only, starting with a letter "
                          "(profiles live in profiles/NAME.yaml).")
    return root / "profiles" / f"{name}.yaml"


def available(root: Path) -> list[str]:
    return sorted(p.stem for p in (root / "profiles").glob("*.yaml"))


def merge(base: Any, override: Any) -> Any:
    """``override`` on top of ``base``: mappings merge recursively, anything else replaces."""
    if isinstance(override, Replace):
        return dict(override)
    if isinstance(base, Mapping) and isinstance(override, Mapping):
        merged = dict(base)
        for key, value in override.items():
            merged[key] = merge(base[key], value) if key in base else merge({}, value) if isinstance(value, Replace) else value
        return merged
    return override


def render(name: str, root: Path) -> dict[str, Any]:
    """The complete params mapping of profile ``name`` (its chain of ``extends`` applied)."""
    path = profile_path(name, root)
    if not path.is_file():
        raise ConfigError(f"Unknown profile '{name}'; available profiles: {', '.join(available(root))}.")
    try:
        data = yaml.load(path.read_text(), Loader=_ProfileLoader) or {}
    except yaml.YAMLError as error:
        raise ConfigError(f"'{path}' is not valid YAML: {error}") from None
    parent = data.pop("extends", None)
    if name == BASE or parent is None:
        return {**data, "profile": name}
    return {**merge(render(parent, root), data), "profile": name}


def rendered_text(name: str, root: Path) -> str:
    if name == BASE:
        return profile_path(BASE, root).read_text()
    body = yaml.safe_dump(render(name, root), sort_keys=False, width=120)
    header = (
        f"# Rendered from profiles/{name}.yaml on top of the profiles it extends (documented in\n"
        "# profiles/default.yaml) by `make reproduce`. Edit freely: it refuses to overwrite edits.\n"
        f"{_DIGEST}{_digest(body)}\n"
    )
    return header + body


_DIGEST = "# rendered body sha256: "


def _digest(body: str) -> str:
    return hashlib.sha256(body.encode()).hexdigest()


def unedited_render(params: Path) -> bool:
    """A rendered params file whose body is still what was rendered (its profile may have changed
    since, which is no edit of the user's)."""
    text = params.read_text() if params.is_file() else ""
    found = re.search(f"^{re.escape(_DIGEST)}([0-9a-f]{{64}})\n", text, re.M)
    return bool(found) and _digest(text[found.end():]) == found.group(1)


def differences(current: Any, reference: Any, prefix: str = "") -> list[str]:
    """Dotted keys where ``current`` differs from ``reference``, each with both values."""
    if isinstance(current, Mapping) and isinstance(reference, Mapping):
        keys = list(reference) + [k for k in current if k not in reference]
        out = []
        for key in keys:
            dotted = f"{prefix}{key}"
            if key not in current:
                out.append(f"{dotted}: removed (profile has {reference[key]!r})")
            elif key not in reference:
                out.append(f"{dotted}: added ({current[key]!r})")
            else:
                out += differences(current[key], reference[key], dotted + ".")
        return out
    return [] if current == reference else [f"{prefix.rstrip('.')}: {current!r} (profile has {reference!r})"]


def edits(root: Path, target: Path | None = None) -> tuple[str | None, list[str]]:
    """(profile named in ``target``'s params.yaml (default: the root's), its differing keys); the
    profile is None if unreadable."""
    params = (target or root) / PARAMS
    if not params.is_file():
        return None, []
    try:
        current = read_params(params)
    except ConfigError as error:
        return None, [str(error)]
    name = str(current.get("profile", BASE))
    if not profile_path(name, root).is_file():
        return name, [f"profile: '{name}' names no file under profiles/"]
    return name, differences(current, render(name, root))


def use(name: str, root: Path = Path("."), force: bool = False, target: Path | None = None) -> str:
    """Make ``target``'s params.yaml (default: the root's) the rendered profile ``name``; refuse to
    drop edits unless ``force``."""
    found = problems_of(render(name, root), f"profiles/{name}.yaml", environment=False)
    if found:
        raise ConfigError([f"profile '{name}' is invalid:", *found])
    folder = target or root
    params = folder / PARAMS
    shown = params.relative_to(root).as_posix() if params.is_relative_to(root) else str(params)
    text = rendered_text(name, root)
    if params.is_file() and params.read_text() == text:
        return f"{shown} already is profile '{name}'."
    # A body that still matches its digest holds no edits, whatever its profile renders to now.
    current_name, changed = (None, []) if unedited_render(params) else edits(root, folder)
    if changed and not force:
        listing = "\n".join(f"  {line}" for line in changed[:20]) + (f"\n  ... and {len(changed) - 20} more" if len(changed) > 20 else "")
        raise ConfigError(
            f"{shown} has edits against profile '{current_name}'; nothing was overwritten:\n{listing}\n"
            f"To run with your edits: dvc repro{'' if folder == root else ' in ' + folder.relative_to(root).as_posix()}. To keep them as a profile: "
            "python -m tokensel.pipeline.profiles save NAME. To discard them: "
            f"make reproduce{'' if name == BASE else ' PROFILE=' + name} FORCE=1; a copy is kept in {BACKUP}."
        )
    note = ""
    if changed:
        shutil.copyfile(params, folder / BACKUP)
        note = f" Your edited {shown} was saved as {BACKUP} beside it."
    params.write_text(text)
    return f"{shown} is now profile '{name}'.{note}"


def save(name: str, root: Path = Path(".")) -> str:
    """Write params.yaml's edits as ``profiles/NAME.yaml`` extending its profile, and name it there."""
    target = profile_path(name, root)
    if target.exists():
        raise ConfigError(f"profiles/{name}.yaml exists already; choose another name.")
    current = read_params(root / PARAMS)
    problems = problems_of(current, PARAMS, environment=False)
    if problems:
        raise ConfigError([f"params.yaml is not valid, so it was not saved as a profile; fix {len(problems)} problem(s) first:", *problems])
    base = str(current.get("profile", BASE))
    changed = differences(current, render(base, root))
    overrides = _overrides(current, render(base, root))
    overrides.pop("profile", None)
    target.write_text(f"# Saved from params.yaml's edits by `python -m tokensel.pipeline.profiles save {name}`.\nextends: {base}\n"
                      + yaml.dump(overrides, Dumper=_ProfileDumper, sort_keys=False, width=120))
    (root / PARAMS).write_text(rendered_text(name, root))
    return f"saved {len(changed)} changed keys as profiles/{name}.yaml; params.yaml is now that profile."


def _overrides(current: Mapping, reference: Mapping) -> dict:
    """The smallest override mapping that turns ``reference`` into ``current``."""
    out: dict = {}
    for key, value in current.items():
        if key not in reference:
            out[key] = value
        elif isinstance(value, Mapping) and isinstance(reference[key], Mapping):
            if set(reference[key]) - set(value):
                out[key] = Replace(value)
            else:
                nested = _overrides(value, reference[key])
                if nested:
                    out[key] = nested
        elif value != reference[key]:
            out[key] = value
    return out


def _save(name: str | None, root: Path) -> str:
    if not name:
        raise ConfigError("save needs a name: python -m tokensel.pipeline.profiles save NAME")
    return save(name, root)


def _diff(root: Path) -> str:
    name, changed = edits(root)
    return "\n".join(changed) if changed else f"params.yaml is profile '{name}', unedited."


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("action", choices=["use", "save", "diff", "check", "list"])
    parser.add_argument("name", nargs="?", help="use/save: a profile name; check: a params file (default params.yaml)")
    parser.add_argument("--force", action="store_true", help="use: overwrite edits (a copy goes to params.yaml.bak)")
    args = parser.parse_args(argv)
    root = Path(".")
    if args.action == "check":
        from tokensel.pipeline.validate import main as validate

        return validate([args.name or PARAMS])
    actions = {
        "list": lambda: "\n".join(available(root)),
        "diff": lambda: _diff(root),
        "save": lambda: _save(args.name, root),
        "use": lambda: use(args.name or BASE, root, force=args.force),
    }
    return command(actions[args.action])


if __name__ == "__main__":
    raise SystemExit(main())
