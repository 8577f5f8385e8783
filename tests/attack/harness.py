"""gradcli run as a user runs it, many runs at once, each one measured.

Every run is a fresh process (`python -m gradcli ...`) under an address-space limit
(RLIMIT_AS) and a generous timeout that only a run that would never end meets; its wall
time and peak memory (os.wait4's rusage of the process itself) go to MEASURED, which the
attack suite's conftest prints at the end of the pytest run. No test asserts a time.

Two ways to start a run, both a process of its own with its own standard streams:

- fresh (`fresh=True`, the measured big inputs): a small launcher starts
  `python -m gradcli` as its child with the limits set (and the streams a case wants
  closed closed, as the shell's `>&-` does), waits for it and reports its peak memory,
  so the figures are gradcli's own from the interpreter's first instruction.
- forked (the sweeps, the default): one server process imports what `python -m gradcli`
  imports before it runs a command (gradcli.__main__ and gradcli.cli.app, nothing else)
  and forks a child per run; the child takes the run's descriptors as 0, 1 and 2 (a
  pseudo-terminal becomes its controlling terminal), its limits, environment, folder and
  arguments, rebuilds sys.stdin/stdout/stderr as the interpreter does at start-up (None
  for a closed descriptor), and calls gradcli's entry point; its exit is the
  interpreter's own (SystemExit, atexit, flushing). This saves each run the
  interpreter's start-up and those imports (about half of a small run's CPU), which is
  what lets some 300 runs finish within a minute on two busy cores; everything a command
  imports lazily, it still imports in the child. Its peak memory includes the pages the
  child shares with the server, as a fresh run's includes the same imports.

No Python code runs between fork and exec in the test process (subprocess's C path), so
runs start from several threads at once.
"""

from __future__ import annotations

import errno
import fcntl
import os
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MEMORY_MB = 2048  # each run's address space (RLIMIT_AS)
TIMEOUT = 120  # a safety bound, never a benchmark
# Runs at once: a run waits on its own start-up much of the time, and on a shared machine
# more runs in flight get more of the CPU; more than this only adds memory.
WORKERS = 4
# GRADCLI_ATTACK_FULL=1: the sizes of issue 14 itself (100,000 statements, a 100,000-term
# sum, 10 MB of "("), for a measured table at full scale; CI runs the smaller ones, which
# pass the same limits (each is far past Python's recursion limit of 1000).
FULL = os.environ.get("GRADCLI_ATTACK_FULL", "") not in ("", "0")

MEASURED: list = []  # Measured rows, in the order the runs ended
current = {"test": ""}  # the test running now (set by conftest), for the table

LAUNCH = r"""
import os, resource, signal, sys
memory, fsize, close, report = sys.argv[1:5]
# gradcli runs as this small process's child: the peak memory wait4 reports for it is then
# its own (Linux keeps a process's peak from before its exec, here this small one's).
pid = os.fork()
if pid == 0:
    if int(memory):
        resource.setrlimit(resource.RLIMIT_AS, (int(memory) << 20,) * 2)
    if int(fsize):
        resource.setrlimit(resource.RLIMIT_FSIZE, (int(fsize),) * 2)
    for fd in close.replace("-", ""):
        os.close(int(fd))
    os.execv(sys.argv[5], sys.argv[5:])
_, status, usage = os.wait4(pid, 0)
with open(report, "w") as fh:
    fh.write(str(usage.ru_maxrss))
if os.WIFSIGNALED(status):
    signal.signal(os.WTERMSIG(status), signal.SIG_DFL)
    os.kill(os.getpid(), os.WTERMSIG(status))
os._exit(os.WEXITSTATUS(status))
"""


SERVER = r"""
import io, json, os, signal, socket, sys
path = sys.argv[1]
import gradcli.__main__  # what `python -m gradcli` imports before it runs a command
import gradcli.cli.app
listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
listener.bind(path)
listener.listen(64)
signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the handlers below reap themselves
print("ready", flush=True)
while True:
    conn, _ = listener.accept()
    if os.fork() == 0:
        break
    conn.close()
# A handler, one per run: it forks the run and reports its pid, then its end.
listener.close()
signal.signal(signal.SIGCHLD, signal.SIG_DFL)
data, fds, _, _ = socket.recv_fds(conn, 1 << 16, 3)
while not data.endswith(b"\n"):
    data += conn.recv(1 << 16)
req = json.loads(data)
pid = os.fork()
if pid:
    for fd in fds:
        os.close(fd)
    conn.sendall(b"%d\n" % pid)
    _, status, usage = os.wait4(pid, 0)
    conn.sendall(json.dumps([status, usage.ru_maxrss]).encode() + b"\n")
    os._exit(0)
# The run.
conn.close()
import resource
if req["ctty"]:
    os.setsid()
for target, fd in enumerate(fds):
    os.dup2(fd, target)
for fd in fds:
    if fd > 2:
        os.close(fd)
if req["ctty"]:
    import fcntl, termios
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)
for fd in req["close"]:
    os.close(fd)
if req["memory"]:
    resource.setrlimit(resource.RLIMIT_AS, (req["memory"] << 20,) * 2)
if req["fsize"]:
    resource.setrlimit(resource.RLIMIT_FSIZE, (req["fsize"],) * 2)
os.environ.clear()
os.environ.update(req["env"])
os.chdir(req["cwd"])

def stream(fd, template, write):
    try:
        os.fstat(fd)
    except OSError:
        return None  # as the interpreter leaves a closed descriptor
    raw = io.FileIO(fd, "wb" if write else "rb", closefd=False)
    buffered = io.BufferedWriter(raw) if write else io.BufferedReader(raw)
    return io.TextIOWrapper(
        buffered,
        encoding=template.encoding,
        errors=template.errors,
        line_buffering=fd == 2 or (write and raw.isatty()),
    )

sys.stdin = sys.__stdin__ = stream(0, sys.__stdin__, False)
sys.stdout = sys.__stdout__ = stream(1, sys.__stdout__, True)
sys.stderr = sys.__stderr__ = stream(2, sys.__stderr__, True)
sys.argv = [gradcli.__main__.__file__, *req["args"]]
del conn, data, fds, req
gradcli.__main__.run()
"""
_server: dict = {}
_server_lock = threading.Lock()


def _server_path() -> str:
    """The fork server's socket, started on first use (and ended when pytest ends)."""
    with _server_lock:
        if "path" not in _server:
            import atexit
            import shutil

            folder = tempfile.mkdtemp(prefix="gradcli-attack-")
            path = os.path.join(folder, "server")
            proc = subprocess.Popen(
                [sys.executable, "-c", SERVER, path],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                cwd=str(ROOT),
            )
            assert proc.stdout.readline() == b"ready\n", "the fork server did not start"

            def stop():
                proc.kill()
                proc.wait()
                shutil.rmtree(folder, True)

            atexit.register(stop)
            _server["path"] = path
        return _server["path"]


class _Forked:
    """A run forked by the server: its pid, and its end (status, seconds, peak MiB, timed
    out), as _Deadline gives them for a fresh process."""

    def __init__(self, args, fds, *, env, cwd, memory_mb, fsize, close, ctty, timeout):
        import json
        import socket

        self.start = time.monotonic()
        self.conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.conn.connect(_server_path())
        request = {
            "args": list(map(str, args)),
            "env": dict(os.environ, **(env or {})),
            "cwd": str(cwd or ROOT),
            "memory": memory_mb,
            "fsize": fsize,
            "close": [int(c) for c in close],
            "ctty": ctty,
        }
        socket.send_fds(self.conn, [json.dumps(request).encode() + b"\n"], fds)
        self.reader = self.conn.makefile("rb")
        self.pid = int(self.reader.readline())
        self.killed = threading.Event()
        self.timer = threading.Timer(timeout, self._kill)
        self.timer.start()

    def _kill(self):
        self.killed.set()
        try:
            os.kill(self.pid, 9)
        except ProcessLookupError:
            pass

    def wait(self) -> tuple:
        import json

        try:
            status, peak_kb = json.loads(self.reader.readline())
        finally:
            self.timer.cancel()
            self.reader.close()
            self.conn.close()
        code = os.waitstatus_to_exitcode(status)
        return code, time.monotonic() - self.start, peak_kb / 1024, self.killed.is_set()


def size(small: int, full: int) -> int:
    """`small` in CI, `full` under GRADCLI_ATTACK_FULL=1."""
    return full if FULL else small


@dataclass
class Measured:
    test: str
    label: str
    seconds: float
    peak_mib: float
    status: int
    detail: bool = False


@dataclass
class Result:
    args: list
    returncode: int
    stdout: object  # str (text=True) or bytes
    stderr: object
    seconds: float
    peak_mib: float
    timed_out: bool = False


def _gradcli(args) -> list:
    return [sys.executable, "-m", "gradcli", *map(str, args)]


def _fd(stream) -> int:
    return stream if isinstance(stream, int) else stream.fileno()


def _launcher(memory_mb: int, fsize: int, close: str, report: str, argv: list) -> list:
    return [sys.executable, "-S", "-c", LAUNCH, str(memory_mb), str(fsize), close or "-"] + [
        report,
        *argv,
    ]


class _Deadline:
    """Kills the process `timeout` seconds after it started, unless it ended first."""

    def __init__(self, proc: subprocess.Popen, timeout: float):
        self.proc, self.start, self.killed = proc, time.monotonic(), threading.Event()
        self.timer = threading.Timer(timeout, self._kill)
        self.timer.start()

    def _kill(self):
        self.killed.set()
        try:
            os.killpg(self.proc.pid, 9)
        except ProcessLookupError:
            pass

    def wait(self) -> tuple:
        """Reap with wait4: (status as subprocess gives it, seconds, peak MiB, timed out)."""
        try:
            _, status, usage = os.wait4(self.proc.pid, 0)
        finally:
            self.timer.cancel()
        seconds = time.monotonic() - self.start
        self.proc.returncode = os.waitstatus_to_exitcode(status)
        return self.proc.returncode, seconds, usage.ru_maxrss / 1024, self.killed.is_set()


def _record(label: str, seconds: float, peak: float, status: int, detail=False) -> None:
    MEASURED.append(Measured(current["test"], label, seconds, peak, status, detail))


def run(
    args,
    *,
    label: str = "",
    input=None,
    stdin=None,
    stdout=None,
    stderr=None,
    env: dict | None = None,
    cwd=None,
    memory_mb: int = MEMORY_MB,
    fsize: int = 0,
    close: str = "",
    text: bool = True,
    timeout: float = TIMEOUT,
    argv: list | None = None,
    detail: bool = False,
    fresh: bool = False,
) -> Result:
    """`gradcli ARGS` (or `argv`) as a process: stdout and stderr captured unless `stdout`
    or `stderr` is given (a descriptor or file), stdin from `input` (str or bytes), `stdin`, or
    /dev/null; `close` lists the standard descriptors to close first ("1" is `>&-`);
    `detail`: a row of its own in the table, even within a sweep."""
    with (
        tempfile.TemporaryFile() as out,
        tempfile.TemporaryFile() as err,
        tempfile.TemporaryFile() as fed,
    ):
        if input is not None:
            fed.write(input.encode("utf-8") if isinstance(input, str) else input)
            fed.seek(0)
            stdin = fed
        if fresh or argv:
            report = os.path.join(tempfile.gettempdir(), f"gradcli-attack-{uuid.uuid4().hex}")
            proc = subprocess.Popen(
                _launcher(memory_mb, fsize, close, report, argv or _gradcli(args)),
                stdin=subprocess.DEVNULL if stdin is None else stdin,
                stdout=out if stdout is None else stdout,
                stderr=err if stderr is None else stderr,
                cwd=str(cwd or ROOT),
                env=dict(os.environ, **(env or {})),
                start_new_session=True,  # a timeout ends the launcher and gradcli together
            )
            status, seconds, peak, timed_out = _Deadline(proc, timeout).wait()
            try:
                with open(report) as fh:
                    peak = int(fh.read()) / 1024
                os.unlink(report)
            except (OSError, ValueError):
                peak = float("nan")
        else:
            with open(os.devnull, "rb") as null:
                fds = [
                    _fd(null if stdin is None else stdin),
                    _fd(out if stdout is None else stdout),
                    _fd(err if stderr is None else stderr),
                ]
                run = _Forked(
                    args,
                    fds,
                    env=env,
                    cwd=cwd,
                    memory_mb=memory_mb,
                    fsize=fsize,
                    close=close,
                    ctty=False,
                    timeout=timeout,
                )
            status, seconds, peak, timed_out = run.wait()
        out.seek(0)
        err.seek(0)
        o, e = out.read(), err.read()
    if text:
        o, e = o.decode("utf-8", "replace"), e.decode("utf-8", "replace")
    _record(label or " ".join(map(str, args))[:70], seconds, peak, status, detail)
    return Result(list(args), status, o, e, seconds, peak, timed_out)


def at_a_terminal(
    args, *, label: str = "", env: dict | None = None, rows=50, cols=120, timeout=TIMEOUT
) -> Result:
    """`gradcli ARGS` with a real pseudo-terminal as its controlling terminal and all three
    standard streams: `stdout` holds every byte the terminal received (CRLF as the pty
    writes it)."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    try:
        run = _Forked(
            args,
            [slave, slave, slave],
            env=env,
            cwd=None,
            memory_mb=MEMORY_MB,
            fsize=0,
            close="",
            ctty=True,
            timeout=timeout,
        )
    finally:
        os.close(slave)
    received = []
    try:
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError as exc:  # EIO: the last holder of the terminal is gone
                if exc.errno != errno.EIO:
                    raise
                break
            if not chunk:
                break
            received.append(chunk)
        status, seconds, peak, timed_out = run.wait()
    finally:
        os.close(master)
    _record("pty: " + (label or " ".join(map(str, args)))[:65], seconds, peak, status)
    return Result(list(args), status, b"".join(received), b"", seconds, peak, timed_out)


def run_all(jobs) -> list:
    """Each job a function of no arguments (one run); all run WORKERS at a time; the
    results in the jobs' order."""
    with ThreadPoolExecutor(WORKERS) as pool:
        return list(pool.map(lambda job: job(), jobs))
