"""The source files that key the stored runs: ``python -m tokensel.pipeline.training_code [--since REV]``.

Every run goes through the run store under a key that holds the fingerprint of the import closure
of the module its function lives in (``tokensel.core.runkey``). Changing the code of any file of
that closure retrains every stored run of the experiments that import it (the extended profile's
alone take hours); comments, docstrings, layout and every other file reuse them, and the pages
regenerate in minutes (DVC still reruns the stages whose files changed, reading their runs from
the store). Without options it lists those files and their experiments; with ``--since REV`` only
the ones whose code changed since a git revision (the working tree included), before anything is
run.
"""

from __future__ import annotations

import argparse
import subprocess
from pathlib import Path

from tokensel.core.imports import SRC, closure, code_only

# The modules whose functions the experiments hand to the engine (``run_plans``, ``parallel_map``).
RUN_MODULES: dict[str, tuple[str, ...]] = {
    "synthetic": ("tokensel.synthetic.train",),
    "regression": ("tokensel.regression.stage",),
    "genomic": ("tokensel.genomic.stage",),
    "constructions": ("tokensel.constructions.train", "tokensel.constructions.evaluate"),
}
REPOSITORY = SRC.parent


def training_files() -> dict[Path, list[str]]:
    """Every file that keys stored runs (relative to the repository), with the experiments whose runs it keys."""
    found: dict[Path, list[str]] = {}
    for experiment, modules in RUN_MODULES.items():
        for path in closure(set(modules)):
            found.setdefault(path.resolve().relative_to(REPOSITORY), []).append(experiment)
    return dict(sorted(found.items()))


def retrained_by(paths: list[Path]) -> dict[Path, list[str]]:
    """Of ``paths`` (relative to the repository), the ones that key stored runs, with their experiments."""
    keyed = training_files()
    return {path: keyed[path] for path in map(Path, paths) if path in keyed}


def _git(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], cwd=REPOSITORY, capture_output=True, text=True, check=check)


def code_changed(path: Path, revision: str) -> bool:
    """Whether the code of ``path`` (not its comments or docstrings) differs from ``revision``'s."""
    before = _git("show", f"{revision}:{path.as_posix()}", check=False)
    if before.returncode != 0 or not (REPOSITORY / path).is_file():
        return True
    return code_only(before.stdout) != code_only((REPOSITORY / path).read_text())


def changed_since(revision: str) -> list[Path]:
    """Files changed since ``revision`` in git, the working tree and untracked files included."""
    names = (_git("diff", "--name-only", revision).stdout + _git("ls-files", "--others", "--exclude-standard").stdout).splitlines()
    return sorted({Path(p) for p in names if p})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--since", metavar="REV", help="only the files changed since this git revision (e.g. HEAD)")
    args = parser.parse_args(argv)
    if args.since:
        found = {path: experiments for path, experiments in retrained_by(changed_since(args.since)).items() if code_changed(path, args.since)}
    else:
        found = training_files()
    if args.since and not found:
        print(f"No change since {args.since} touches training code: every stored run is reused.")
    for path, experiments in found.items():
        print(f"{path}: {', '.join(experiments)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
