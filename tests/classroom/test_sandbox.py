"""The grading sandbox, with real forked processes: what a submission can and cannot reach.

Every test that forks is marked ``slow``. Checks that nothing lingers look through /proc for
a marker that the submission's processes carry on their command line.
"""

from __future__ import annotations

import errno
import functools
import os
import select
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from multiprocessing.connection import wait
from pathlib import Path

import pytest

from orderkit.classroom.batch.sandbox import (
    ENV,
    Isolation,
    Sandboxed,
    SandboxError,
    probe,
    start,
)
from orderkit.classroom.processes.endings import KILLED, Ending
from tests.processes import live_with

Start = Callable[..., Sandboxed]
GRANDCHILD = "import sys, time; time.sleep(300)"


@pytest.fixture
def scratch(tmp_path: Path) -> Path:
    folder = tmp_path / "scratch"
    folder.mkdir()
    return folder


@pytest.fixture
def outside() -> Iterator[Path]:
    """A folder outside /tmp (the sandbox has its own /tmp), as the grader's files would be."""
    with tempfile.TemporaryDirectory(dir="/var/tmp", prefix="orderkit-test-") as folder:
        yield Path(folder)


@pytest.fixture
def sandbox(scratch: Path) -> Iterator[Start]:
    """``start`` with this test's scratch folder; kills whatever a failing test left running."""
    started: list[Sandboxed] = []

    def begin(fn: Callable[[], object], **options: object) -> Sandboxed:
        options.setdefault("scratch", scratch)
        box = start(fn, **options)  # type: ignore[arg-type]
        started.append(box)
        return box

    yield begin
    for box in started:
        box.kill()


def outcome(box: Sandboxed, timeout: float = 20.0) -> tuple[str, object]:
    """Wait for the sandbox as the grader does, then collect its result."""
    assert wait([box.sentinel], timeout=timeout), "the sandbox did not finish in time"
    status, value = box.result()
    return status, str(value) if isinstance(value, Ending) else value


def marked(marker: str) -> list[int]:
    """Pids of live (not zombie) processes whose command line holds ``marker``."""
    return live_with(marker, held_in="cmdline")


def slow_answer(answer: str) -> str:
    time.sleep(1.0)
    return answer


def spawn_grandchild(marker: str, *, new_session: bool) -> Callable[[], object]:
    """A submission that leaves a sleeping process behind (in a session of its own, or not)."""

    def submission() -> object:
        process = subprocess.Popen(
            [sys.executable, "-c", GRANDCHILD, marker], start_new_session=new_session
        )
        wait_until(lambda: bool(marked(marker)))
        return (process.pid, os.getsid(process.pid) == process.pid, bool(marked(marker)))

    return submission


def test_start_refuses_a_scratch_folder_that_does_not_exist(tmp_path: Path) -> None:
    with pytest.raises(SandboxError, match="no such file or folder"):
        start(int, scratch=tmp_path / "missing", isolation=Isolation("process-group", ""))


@pytest.mark.slow
def test_probe_finds_namespaces_on_this_machine() -> None:
    isolation = probe()

    assert isolation.kind == "namespaces", isolation.detail
    assert "network" in isolation.detail


@pytest.mark.slow
def test_the_value_comes_back_with_the_child_in_its_own_namespaces(
    sandbox: Start, scratch: Path
) -> None:
    def submission() -> object:
        Path("result.txt").write_text("written in scratch")
        processes = sorted(int(p) for p in os.listdir("/proc") if p.isdigit())
        return os.getpid(), os.getsid(0), processes, os.getcwd(), Isolation("namespaces", "trip")

    status, value = outcome(sandbox(submission))

    assert (status, value) == ("ok", (2, 1, [1, 2], str(scratch), Isolation("namespaces", "trip")))
    assert (scratch / "result.txt").read_text() == "written in scratch"


@pytest.mark.slow
def test_an_exception_becomes_an_error_message_of_at_most_300_characters(sandbox: Start) -> None:
    def submission() -> object:
        raise ValueError("boom " * 100)

    status, message = outcome(sandbox(submission))

    assert status == "error"
    assert isinstance(message, str)
    assert message.startswith("ValueError: boom boom")
    assert len(message) == 300


@pytest.mark.slow
def test_an_early_exit_is_reported_as_died_with_its_status(sandbox: Start) -> None:
    assert outcome(sandbox(lambda: os._exit(3))) == ("died", "exit status 3")


@pytest.mark.slow
def test_a_submission_that_kills_itself_is_reported_as_died(sandbox: Start) -> None:
    box = sandbox(lambda: os.kill(os.getpid(), signal.SIGKILL))

    assert outcome(box) == ("died", "killed by signal SIGKILL")


@pytest.mark.slow
def test_a_result_that_unpickles_into_a_callable_is_refused(sandbox: Start) -> None:
    status, message = outcome(sandbox(lambda: os.system))

    assert status == "error"
    assert "refused" in str(message)


@pytest.mark.slow
def test_output_of_the_submission_goes_nowhere(
    sandbox: Start, capfd: pytest.CaptureFixture[str]
) -> None:
    def submission() -> object:
        print("to stdout")
        print("to stderr", file=sys.stderr)
        os.write(1, b"to fd 1\n")
        return "done"

    assert outcome(sandbox(submission)) == ("ok", "done")
    assert capfd.readouterr() == ("", "")


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["namespaces", "process-group"])
def test_the_graders_open_files_are_closed_inside(sandbox: Start, kind: str) -> None:
    isolation = probe() if kind == "namespaces" else Isolation("process-group", "forced")
    read, write = os.pipe()
    try:

        def submission() -> object:
            try:
                os.write(write, b"forged")
            except OSError as error:
                return errno.errorcode[error.errno or 0]
            return "written"

        assert outcome(sandbox(submission, isolation=isolation)) == ("ok", "EBADF")
        os.set_blocking(read, False)
        with pytest.raises(BlockingIOError):
            os.read(read, 10)
    finally:
        os.close(read)
        os.close(write)


@pytest.mark.slow
def test_no_process_of_a_running_sandbox_holds_the_graders_pipes(sandbox: Start) -> None:
    read, write = os.pipe()  # as a log pipe the grader's caller waits on for end of file
    try:
        box = sandbox(functools.partial(time.sleep, 60))
        os.close(write)

        assert select.select([read], [], [], 5)[0], "a sandbox process holds the write end"
        assert os.read(read, 10) == b""
        assert wait([box.sentinel], timeout=0) == []  # while the sandbox still runs
    finally:
        os.close(read)


@pytest.mark.slow
def test_there_is_no_network_not_even_to_the_graders_own_port(sandbox: Start) -> None:
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        socket.create_connection(("127.0.0.1", port), timeout=5).close()  # it works outside

        def submission() -> object:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=5).close()
            except OSError as error:
                return type(error).__name__
            return "connected"

        assert outcome(sandbox(submission)) == ("ok", "OSError")


@pytest.mark.slow
def test_writing_outside_the_scratch_folder_fails(
    sandbox: Start, outside: Path, tmp_path: Path
) -> None:
    def submission() -> object:
        failures = []
        for path in (outside / "x", Path(sys.executable).parent / "x", Path("/x")):
            try:
                path.write_text("planted")
            except OSError as error:
                failures.append(errno.errorcode[error.errno or 0])
        (tmp_path / "x").write_text("in the private /tmp")
        return failures

    assert outcome(sandbox(submission)) == ("ok", ["EROFS", "EROFS", "EROFS"])
    assert list(outside.iterdir()) == []
    assert list(tmp_path.iterdir()) == [tmp_path / "scratch"]


@pytest.mark.slow
def test_hidden_folders_and_files_cannot_be_read(sandbox: Start, outside: Path) -> None:
    answers = outside / "answers"
    answers.mkdir()
    (answers / "solution.py").write_text("SECRET")
    key = outside / "key.txt"
    key.write_text("SECRET")

    def submission() -> object:
        seen = []
        for path in (answers / "solution.py", key):
            try:
                seen.append(path.read_text())
            except OSError as error:
                seen.append(errno.errorcode[error.errno or 0])
        return seen, os.listdir(answers)

    status, value = outcome(sandbox(submission, hide=[answers, key]))

    assert (status, value) == ("ok", (["ENOENT", "EACCES"], []))
    assert key.read_text() == "SECRET"  # the grader still reads it


@pytest.mark.slow
def test_a_submission_cannot_lift_its_limits_or_undo_the_mounts(
    sandbox: Start, outside: Path
) -> None:
    answers = outside / "answers"
    answers.mkdir()
    (answers / "solution.py").write_text("SECRET")

    def submission() -> object:
        import resource

        try:
            resource.setrlimit(resource.RLIMIT_AS, (-1, -1))
            lifted = True
        except ValueError:
            lifted = False
        umount = subprocess.run(["umount", "-l", str(answers)], capture_output=True).returncode
        remount = subprocess.run(["mount", "-o", "remount,rw", "/"], capture_output=True)
        return lifted, umount != 0, remount.returncode != 0, os.listdir(answers)

    assert outcome(sandbox(submission, hide=[answers])) == ("ok", (False, True, True, []))


@pytest.mark.slow
def test_tmp_inside_is_empty_and_private(sandbox: Start, scratch: Path) -> None:
    name = f"orderkit-test-{uuid.uuid4().hex}"
    planted = Path("/tmp") / f"{name}-outside"
    planted.write_text("the grader's")
    try:

        def submission() -> object:
            (Path("/tmp") / f"{name}-inside").write_text("the submission's")
            temporary = tempfile.gettempdir()
            return planted.exists(), os.listdir(temporary), temporary == os.environ["TMPDIR"]

        status, value = outcome(sandbox(submission))
    finally:
        planted.unlink()

    assert (status, value) == ("ok", (False, [], True))
    assert not (Path("/tmp") / f"{name}-inside").exists()


@pytest.mark.slow
def test_a_memory_hog_fails_alone(sandbox: Start) -> None:
    def submission() -> object:
        hog = bytearray(512 * 1024 * 1024)
        return len(hog)

    status, message = outcome(sandbox(submission, memory_mib=256))

    assert (status, "MemoryError" in str(message)) in {("error", True), ("died", False)}
    assert len(bytearray(64 * 1024 * 1024)) > 0  # the grader itself can still allocate


@pytest.mark.slow
@pytest.mark.parametrize("new_session", [False, True], ids=["same-session", "setsid"])
def test_nothing_the_submission_started_survives_its_result(
    sandbox: Start, new_session: bool
) -> None:
    marker = f"orderkit-test-{uuid.uuid4().hex}"

    status, value = outcome(sandbox(spawn_grandchild(marker, new_session=new_session)))

    assert status == "ok"
    assert value[1:] == (new_session, True)  # type: ignore[index]
    assert marked(marker) == []


@pytest.mark.slow
def test_kill_ends_a_looping_submission_and_its_children_at_once(sandbox: Start) -> None:
    marker = f"orderkit-test-{uuid.uuid4().hex}"
    box = sandbox(loop_forever_after(spawn_grandchild(marker, new_session=True)))
    assert wait_until(lambda: bool(marked(marker))), "the submission did not start its child"
    began = time.perf_counter()

    box.kill()
    took = time.perf_counter() - began
    box.kill()  # a second kill does nothing

    assert took < 1.0
    assert marked(marker) == []
    assert not Path(f"/proc/{box.pid}").exists()
    assert box.result() == ("died", KILLED)


def wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.01)
    return condition()


def loop_forever_after(leave_behind: Callable[[], object]) -> Callable[[], object]:
    def submission() -> object:
        leave_behind()
        while True:
            pass

    return submission


@pytest.mark.slow
def test_everything_inside_dies_with_the_first_child(sandbox: Start) -> None:
    marker = f"orderkit-test-{uuid.uuid4().hex}"
    box = sandbox(loop_forever_after(spawn_grandchild(marker, new_session=True)))
    assert wait_until(lambda: bool(marked(marker)))

    assert box.pid is not None
    os.kill(box.pid, signal.SIGKILL)

    assert outcome(box) == ("died", "killed by signal SIGKILL")
    assert wait_until(lambda: not marked(marker), timeout=5)


@pytest.mark.slow
def test_everything_inside_dies_with_the_grader(tmp_path: Path) -> None:
    marker = f"orderkit-test-{uuid.uuid4().hex}"
    grader = """
import os, sys, time
from pathlib import Path
from orderkit.classroom.batch.sandbox import start
from tests.classroom.test_sandbox import loop_forever_after, spawn_grandchild
submission = loop_forever_after(spawn_grandchild(os.environ["MARKER"], new_session=True))
start(submission, scratch=Path(os.environ["SCRATCH"]))
time.sleep(300)
"""  # the marker travels in the environment: the grader's own command line must not hold it
    environment = {**os.environ, "MARKER": marker, "SCRATCH": str(tmp_path)}
    root = Path(__file__).parents[2]
    process = subprocess.Popen([sys.executable, "-c", grader], cwd=root, env=environment)
    try:
        assert wait_until(lambda: bool(marked(marker)))

        process.kill()
        process.wait()

        assert wait_until(lambda: not marked(marker), timeout=5)
    finally:
        process.kill()
        process.wait()


@pytest.mark.slow
@pytest.mark.parametrize(
    "attack",
    [
        lambda: os.kill(os.getppid(), signal.SIGKILL),
        lambda: os.killpg(0, signal.SIGKILL),
        lambda: os.kill(-1, signal.SIGKILL),
    ],
    ids=["kill-parent", "killpg-own-group", "kill-everything"],
)
def test_a_submission_cannot_signal_the_grader_or_other_submissions(
    sandbox: Start, attack: Callable[[], object]
) -> None:
    # With a process group only, kill(-1) as root would kill every process on the machine.
    assert probe().kind == "namespaces", "refusing to send kill(-1) without a PID namespace"
    bystander = subprocess.Popen([sys.executable, "-c", GRANDCHILD])
    try:
        sibling = sandbox(functools.partial(slow_answer, "sibling done"))

        outcome(sandbox(attack))

        assert outcome(sibling) == ("ok", "sibling done")
        assert bystander.poll() is None
    finally:
        bystander.kill()
        bystander.wait()


@pytest.mark.slow
def test_forced_fallback_still_gives_a_session_limits_and_group_cleanup(
    sandbox: Start, scratch: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV, "process-group")
    isolation = probe()
    marker = f"orderkit-test-{uuid.uuid4().hex}"
    leave_behind = spawn_grandchild(marker, new_session=False)

    def submission() -> object:
        import resource

        own = os.getsid(0) == os.getpid() == os.getpgrp()
        return own, resource.getrlimit(resource.RLIMIT_AS)[0], os.getcwd(), leave_behind()

    status, value = outcome(sandbox(submission, isolation=isolation, memory_mib=512))

    assert isolation.kind == "process-group"
    assert ENV in isolation.detail
    assert status == "ok"
    assert value[:3] == (True, 512 * 1024 * 1024, str(scratch))  # type: ignore[index]
    assert marked(marker) == []
