"""The notebook runner never leaves a half-written output: a failing notebook keeps the published
folder, Ctrl-C is one line, and the runner ends with its parent."""

from __future__ import annotations

import os
import signal
import shlex
import subprocess
import sys
import time
from pathlib import Path

import papermill
import pytest

from tokensel.core.lifeline import die_with_parent, shells_above
from tokensel.present.nbrun import execute

WRITER = '''# %% [markdown]
# # A report that writes its folder

# %% tags=["parameters"]
out_dir = "out"
fail = False
wait = 0

# %%
import time
from pathlib import Path

Path(out_dir, "figures").mkdir(parents=True, exist_ok=True)
Path(out_dir, "figures", "plot.png").write_text("new plot")
Path(out_dir, "metrics.json").write_text("new metrics")
time.sleep(wait)
if fail:
    raise RuntimeError("the report failed halfway")
print("done")
'''


@pytest.fixture
def writer(tmp_path) -> Path:
    (tmp_path / "writer.py").write_text(WRITER)
    published = tmp_path / "reports" / "exp"
    (published / "figures").mkdir(parents=True)
    (published / "figures" / "plot.png").write_text("good plot")
    (published / "metrics.json").write_text("good metrics")
    (published / "index.html").write_text("good page")
    return tmp_path


def contents(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): p.read_text() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.slow
def test_a_failing_notebook_keeps_the_published_folder_and_a_succeeding_one_replaces_it(writer):
    published = writer / "reports" / "exp"
    before = contents(published)
    with pytest.raises(papermill.PapermillExecutionError):
        execute(writer / "writer.py", writer / "executed.ipynb", {"fail": True}, html=published / "index.html", out_dir=published, log_output=False)
    assert contents(published) == before
    assert not (writer / "executed.ipynb").exists() and (writer / "executed.ipynb.partial").exists()
    assert [p.name for p in (writer / "reports").iterdir()] == ["exp"], "the staging folder was left behind"

    execute(writer / "writer.py", writer / "executed.ipynb", {}, html=published / "index.html", out_dir=published, log_output=False)
    after = contents(published)
    assert after["metrics.json"] == "new metrics" and after["figures/plot.png"] == "new plot" and "done" in after["index.html"]
    assert (writer / "executed.ipynb").exists() and not (writer / "executed.ipynb.partial").exists()


def runner(writer: Path, wait: int, fail: bool = False) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "tokensel.present.nbrun", str(writer / "writer.py"), str(writer / "executed.ipynb"),
         "--out-dir", str(writer / "reports" / "exp"), "--html", str(writer / "reports" / "exp" / "index.html"), "-p", "wait", str(wait), "-p", "fail", str(fail).lower()],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=_sigint_at_default)


def _sigint_at_default() -> None:
    # Ctrl-C in a terminal reaches a runner whose SIGINT is at its default; a suite started as a
    # shell's background job would otherwise hand the runner an ignored SIGINT.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.slow
def test_a_failing_stage_prints_what_failed_and_how_to_resume(writer):
    process = runner(writer, wait=0, fail=True)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 1 and "Traceback" not in stderr, stderr
    assert stderr.strip().splitlines() == [
        f"{writer / 'writer.py'} failed in cell 3: RuntimeError: the report failed halfway",
        f"Its previous outputs are kept; the traceback is in {writer / 'executed.ipynb.partial'}. Fix the cause, then resume with: dvc repro"]


def wait_until_the_notebook_runs(writer: Path) -> None:
    deadline = time.monotonic() + 120
    while not (writer / "reports" / "exp.partial" / "metrics.json").exists():
        assert time.monotonic() < deadline, "the notebook never started"
        time.sleep(0.2)


def communicate_or_report_what_hangs(process: subprocess.Popen, timeout: float) -> str:
    """The runner's stderr once it and every process holding its pipes have ended; on a timeout,
    a failure that names which of them still run (the runner itself, or a kernel it left)."""
    import psutil

    try:
        return process.communicate(timeout=timeout)[1]
    except subprocess.TimeoutExpired:
        alive = [(p.pid, p.status(), " ".join(p.cmdline())[:200]) for p in psutil.Process(process.pid).children(recursive=True)]
        runner_status = process.poll()
        for pid, _, _ in alive:
            os.kill(pid, signal.SIGKILL)
        process.kill()
        _, stderr = process.communicate()
        pytest.fail(f"{timeout} s after Ctrl-C: runner exit code {runner_status}, its children still running {alive}; stderr:\n{stderr}")


@pytest.mark.slow
def test_ctrl_c_prints_one_line_and_leaves_no_half_written_output(writer):
    published = writer / "reports" / "exp"
    before = contents(published)
    process = runner(writer, wait=120)
    wait_until_the_notebook_runs(writer)
    process.send_signal(signal.SIGINT)
    stderr = communicate_or_report_what_hangs(process, timeout=60)
    assert process.returncode == 130
    assert stderr.strip().splitlines()[-1].startswith("Interrupted: ") and "Traceback" not in stderr and "\x1b[" not in stderr, stderr
    assert contents(published) == before
    assert not list(writer.glob("executed.ipynb*")) and [p.name for p in (writer / "reports").iterdir()] == ["exp"]


@pytest.mark.parametrize("through_shell", [False, True], ids=["direct", "through-dash"])
def test_die_with_parent_signals_the_child_when_its_parent_is_killed(tmp_path, through_shell):
    """A parent starts a child that arms the lifeline and sleeps; killing the parent ends the child.

    Through a shell that does not replace itself with the command (``dash -c "...; true"``, as dvc
    runs stages when SHELL is unset), the shell outlives the parent and the child must notice.
    """
    pid_file = tmp_path / "child.pid"
    child = f"from tokensel.core.lifeline import die_with_parent, shells_above; import os, time; die_with_parent(); open({str(pid_file)!r}, 'w').write(str(os.getpid())); time.sleep(60)"
    command = [sys.executable, "-c", child]
    if through_shell:
        command = ["/bin/sh", "-c", f"{shlex.join(command)}; true"]
    parent = subprocess.Popen([sys.executable, "-c", f"import subprocess, time; subprocess.Popen({command!r}); time.sleep(60)"])
    deadline = time.monotonic() + 30
    while not pid_file.exists() or not pid_file.read_text():
        assert time.monotonic() < deadline
        time.sleep(0.1)
    parent.kill()
    parent.wait()
    child_pid = int(pid_file.read_text())
    deadline = time.monotonic() + 5
    while _alive(child_pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(child_pid), "the child outlived its parent"


def test_shells_above_names_each_shell_and_its_parent(tmp_path):
    pid_file = tmp_path / "child.pid"
    child = [sys.executable, "-c", f"import os, time; open({str(pid_file)!r}, 'w').write(str(os.getpid())); time.sleep(60)"]
    shell = subprocess.Popen(["/bin/sh", "-c", f"{shlex.join(child)}; true"])
    try:
        deadline = time.monotonic() + 30
        while not pid_file.exists() or not pid_file.read_text():
            assert time.monotonic() < deadline
            time.sleep(0.1)
        assert shells_above(int(pid_file.read_text())) == [(shell.pid, os.getpid())]
    finally:
        subprocess.run(["pkill", "-P", str(shell.pid)], check=False)
        shell.wait()


def _alive(pid: int) -> bool:
    import psutil

    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def test_die_with_parent_is_harmless_while_the_parent_lives():
    die_with_parent()
    assert os.getppid() > 0
