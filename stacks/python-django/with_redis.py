"""Runs a command (the ASGI server) beside a private Redis server, for the
channel layer Channels documents for production (channels_redis).

Usage: with_redis.py COMMAND [ARGS...]

Redis listens on a Unix socket in a fresh directory of its own (no TCP port,
nothing persisted: --save "" --appendonly no). The command gets its address
in RINGSIDE_REDIS_URL (read by ringside/settings.py), so every worker process
of the server shares one layer and a room spans the workers. Redis is a
process of the stack: ringside pins it to the stack's cores, counts its CPU
and memory in the stack's, and stops it with the stack's process group; it
dies with this launcher (PR_SET_PDEATHSIG) and carries ringside's run id in
its environment, so a ringside killed outright has it reaped by the next one.
"""

import ctypes
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

READY_TIMEOUT_S = 10
PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """In the forked child: SIGKILL when this launcher dies."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG)")


def wait_ready(redis: subprocess.Popen, path: str) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    last = "no answer"
    while time.monotonic() < deadline:
        if redis.poll() is not None:
            raise RuntimeError(f"redis-server exited with status {redis.returncode}")
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
                s.settimeout(1)
                s.connect(path)
                s.sendall(b"PING\r\n")
                if s.recv(16).startswith(b"+PONG"):
                    return
        except OSError as exc:
            last = str(exc)
        time.sleep(0.05)
    raise RuntimeError(f"redis-server did not answer PING within {READY_TIMEOUT_S} s ({last})")


def main(argv: list[str]) -> int:
    if not argv:
        print("usage: with_redis.py COMMAND [ARGS...]", file=sys.stderr)
        return 2
    server = shutil.which("redis-server")
    if server is None:
        print(
            "with_redis.py: redis-server not found on PATH. Channels' production channel "
            "layer (channels_redis) needs it: install Debian's redis-server "
            "(scripts/install-system-deps.sh).",
            file=sys.stderr,
        )
        return 1
    workdir = tempfile.mkdtemp(prefix="ringside-redis-")
    sock = os.path.join(workdir, "redis.sock")
    stopping = False

    def on_signal(signum, frame):  # the process group is being stopped
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    redis = app = None
    try:
        redis = subprocess.Popen(
            [
                server,
                "--port", "0",
                "--unixsocket", sock,
                "--unixsocketperm", "700",
                "--dir", workdir,
                "--save", "",
                "--appendonly", "no",
                "--daemonize", "no",
                "--loglevel", "warning",
            ],
            stdin=subprocess.DEVNULL,
            preexec_fn=die_with_parent,
        )
        wait_ready(redis, sock)
        env = dict(os.environ, RINGSIDE_REDIS_URL=f"unix://{sock}")
        app = subprocess.Popen(argv, env=env, preexec_fn=die_with_parent)
        while True:
            try:
                code = app.wait(timeout=0.2)
                return code if code >= 0 else 128 - code
            except subprocess.TimeoutExpired:
                pass
            if redis.poll() is not None and not stopping:
                print(f"with_redis.py: redis-server exited ({redis.returncode})", file=sys.stderr)
                return 1
    except RuntimeError as exc:
        print(f"with_redis.py: {exc}", file=sys.stderr)
        return 1
    finally:
        for proc in (app, redis):
            if proc is not None and proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
