"""A copy of the repository with tiny parameters, and DVC run on it, for the end-to-end tests."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from tiny import TINY_CONSTRUCTIONS, TINY_EFFICIENCY, TINY_GENOMIC, TINY_REGRESSION, TINY_SYNTHETIC

ROOT = Path(__file__).resolve().parents[1]


def tiny_params(path: Path) -> Path:
    raw = yaml.safe_load((ROOT / "params.yaml").read_text())
    raw["profile"] = "tiny"
    raw["synthetic"] = TINY_SYNTHETIC
    raw["regression"] = {**TINY_REGRESSION, "seeds": [0]}
    raw["genomic"] = TINY_GENOMIC
    raw["efficiency"] = TINY_EFFICIENCY
    raw["constructions"] = TINY_CONSTRUCTIONS
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return path


def env_with_package(**overrides: str) -> dict:
    env = {**os.environ, "TOKENSEL_WORKERS": "1", "DVC_NO_ANALYTICS": "1", **overrides}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    env["PYTHONPATH"] = f"{ROOT / 'src'}{os.pathsep}{env.get('PYTHONPATH', '')}"
    return env


def dvc(work: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run([sys.executable, "-m", "dvc", *args], cwd=work, capture_output=True, text=True, env=env_with_package())
    if check:
        assert result.returncode == 0, f"dvc {' '.join(args)}: " + result.stdout[-3000:] + result.stderr[-3000:]
    return result


def git(work: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", "-c", "user.name=test", "-c", "user.email=test@example.org", *args], cwd=work, check=True, capture_output=True, text=True)


def tiny_repository(work: Path, *targets: str) -> Path:
    """Copy the repository to ``work`` with tiny parameters, ``dvc repro`` the targets (all stages by
    default) and commit everything to a fresh git repository, as the real results are committed."""
    ignore = shutil.ignore_patterns(".git", ".venv", "results", "reports", "scratch", "cache", "tmp", ".runstore", "__pycache__", "*.egg-info", ".pytest_cache", "*.ipynb", "*.partial")
    shutil.copytree(ROOT, work, ignore=ignore)
    tiny_params(work / "params.yaml")
    git(work, "init", "-q")
    dvc(work, "repro", *targets)
    git(work, "add", "-A")
    git(work, "commit", "-qm", "tiny pipeline")
    return work


def committed_outputs(work: Path) -> dict[str, bytes]:
    """Every git-committed file under results/ and reports/, with its bytes."""
    listed = git(work, "ls-files", "results", "reports").stdout.split()
    return {path: (work / path).read_bytes() for path in listed if (work / path).is_file()}
