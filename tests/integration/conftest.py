"""Harness for the resilience tests: a Celery worker we may kill, and a Redis we may stop.

``JobWorker`` is a real ``celery worker`` (prefork, one child) on a queue of its own, so the
shared ``celery_worker`` of the session never takes these jobs. It runs with the test hook
``EDC_JOB_CHECKPOINT_DIR`` (analysis.checkpoints): a job pauses at a named checkpoint while
``<name>.hold`` exists, which lets a test kill the worker at a known point mid-job.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import ARTIFACTS, REPO, _worker_database_url

RESILIENCE_QUEUE = f"resilience-{os.getpid()}"
CHECKPOINT_TIMEOUT = 60


class JobWorker:
    """A killable worker process: SIGKILL its pool child, or the whole process group."""

    def __init__(self, database_url: str, checkpoints: Path) -> None:
        self.database_url, self.checkpoints = database_url, checkpoints
        self.name = f"{RESILIENCE_QUEUE}@{socket.gethostname()}"
        self.proc: subprocess.Popen | None = None
        self.log = ARTIFACTS / "resilience-worker.log"

    def start(self) -> None:
        from config.celery import app

        self.log.parent.mkdir(exist_ok=True)
        env = {**os.environ, "DATABASE_URL": self.database_url,
               "EDC_JOB_CHECKPOINT_DIR": str(self.checkpoints)}  # fmt: skip
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=prefork",
             "--concurrency=1", "-Q", RESILIENCE_QUEUE, "-n", self.name, "--loglevel=INFO",
             "--without-gossip", "--without-mingle", "--without-heartbeat"],
            cwd=REPO, env=env, stdout=self.log.open("ab"), stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: kill_all reaches the child too
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"resilience worker exited with {self.proc.returncode}; see {self.log}")
            if app.control.ping(destination=[self.name], timeout=1):
                return
        pytest.fail(f"resilience worker did not answer within 60 s; see {self.log}")

    def ensure_running(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            self.start()

    def child_pids(self) -> list[int]:
        assert self.proc is not None
        path = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        return [int(pid) for pid in path.read_text().split()]

    def kill_child(self) -> int:
        """SIGKILL the pool process running the job (as the OOM killer would); return its pid."""
        (pid,) = self.child_pids()
        os.kill(pid, signal.SIGKILL)
        return pid

    def kill_all(self) -> None:
        """SIGKILL the worker and its child at once (host lost): nothing can clean up."""
        assert self.proc is not None
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)

    # checkpoints (analysis.checkpoints.job_checkpoint)
    def hold(self, checkpoint: str) -> None:
        (self.checkpoints / f"{checkpoint}.reached").unlink(missing_ok=True)
        (self.checkpoints / f"{checkpoint}.hold").touch()

    def release(self, checkpoint: str) -> None:
        (self.checkpoints / f"{checkpoint}.hold").unlink(missing_ok=True)

    def wait_reached(self, checkpoint: str) -> None:
        reached = self.checkpoints / f"{checkpoint}.reached"
        deadline = time.monotonic() + CHECKPOINT_TIMEOUT
        while time.monotonic() < deadline:
            if reached.exists():
                reached.unlink()
                return
            time.sleep(0.1)
        pytest.fail(f"the job never reached checkpoint {checkpoint}; see {self.log}")


@pytest.fixture(scope="session")
def job_worker_process(django_db_setup, django_db_blocker, redis_url, tmp_path_factory):
    from django.db import connection

    with django_db_blocker.unblock():
        name = connection.settings_dict["NAME"]
    worker = JobWorker(_worker_database_url(name), tmp_path_factory.mktemp("checkpoints"))
    yield worker
    worker.stop()


@pytest.fixture
def job_worker(job_worker_process):
    """The killable worker, running; jobs queued by this test go to its queue only."""
    from config.celery import app

    job_worker_process.ensure_running()
    default_queue = app.conf.task_default_queue
    app.conf.task_default_queue = RESILIENCE_QUEUE
    yield job_worker_process
    app.conf.task_default_queue = default_queue
    for hold in job_worker_process.checkpoints.glob("*.hold"):
        hold.unlink()


@pytest.fixture
def private_redis(tmp_path):
    """A Redis server of this test alone (port 8400-8499 range), stopped at the end."""
    port = 8400 + os.getpid() % 90
    proc = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
    )  # fmt: skip
    import redis

    url = f"redis://127.0.0.1:{port}/0"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            redis.Redis.from_url(url, socket_connect_timeout=1).ping()
            break
        except redis.RedisError:
            time.sleep(0.1)
    else:
        proc.kill()
        pytest.fail(f"redis-server on port {port} did not start")
    yield proc, url
    if proc.poll() is None:
        proc.kill()
        proc.wait(timeout=10)


class DeadRedis:
    """Point the cache and the Celery app at a private Redis, then stop it on demand."""

    def __init__(self, proc: subprocess.Popen, url: str) -> None:
        self.proc, self.url = proc, url

    def stop(self) -> None:
        self.proc.kill()
        self.proc.wait(timeout=10)


@pytest.fixture
def redis_to_stop(private_redis, settings):
    """Cache, broker and result backend on a private Redis that the test can stop."""
    from config.celery import app

    proc, url = private_redis
    saved = (app.conf.broker_url, app.conf.result_backend, app.backend)

    def point_at(broker: str, result_url: str, backend=None) -> None:
        app.conf.broker_url, app.conf.result_backend = broker, result_url
        app._pool, app.amqp._producer_pool = None, None  # rebuilt from the new URL
        app._backend = backend or app._get_backend()

    point_at(url, url)
    settings.CACHES = {"default": {
        "BACKEND": "config.cache.ResilientRedisCache", "LOCATION": url,
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 2},
    }}  # fmt: skip
    yield DeadRedis(proc, url)
    point_at(*saved)


class CuttableProxy:
    """A TCP proxy to PostgreSQL that a test can cut (every connection dropped) and restore."""

    def __init__(self, port: int, target: tuple[str, int]) -> None:
        import threading

        self.port, self.target, self.down = port, target, False
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", port), reuse_port=False)
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        import threading

        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return  # closed
            if self.down:
                client.close()  # the server "went away": the driver sees a closed connection
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._sockets |= {client, upstream}
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                self._close(s)

    def _close(self, s: socket.socket) -> None:
        with self._lock:
            self._sockets.discard(s)
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        s.close()

    def cut(self) -> None:
        self.down = True
        with self._lock:
            open_sockets = list(self._sockets)
        for s in open_sockets:
            self._close(s)

    def restore(self) -> None:
        self.down = False

    def close(self) -> None:
        self.cut()
        self._listener.close()


@pytest.fixture
def database_proxy():
    from django.db import connection

    settings_dict = connection.settings_dict
    target = (settings_dict["HOST"] or "127.0.0.1", int(settings_dict["PORT"] or 5432))
    proxy = CuttableProxy(8490 + os.getpid() % 5, target)
    yield proxy
    proxy.close()


@pytest.fixture
def web_server(database_proxy, django_db_blocker):
    """gunicorn serving the app on the test database, reached only through the proxy."""
    import urllib.request
    from urllib.parse import urlsplit, urlunsplit

    from django.db import connection

    parts = urlsplit(os.environ["DATABASE_URL"])
    netloc = parts.netloc.rsplit("@", 1)
    host = f"127.0.0.1:{database_proxy.port}"
    netloc = f"{netloc[0]}@{host}" if len(netloc) == 2 else host
    url = urlunsplit(parts._replace(netloc=netloc, path=f"/{connection.settings_dict['NAME']}"))
    port = 8495 + os.getpid() % 5
    log = ARTIFACTS / "resilience-web.log"
    log.parent.mkdir(exist_ok=True)
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "config.wsgi:application",
         "--bind", f"127.0.0.1:{port}", "--workers", "1", "--timeout", "60"],
        cwd=REPO, env={**os.environ, "DATABASE_URL": url, "DJANGO_DEBUG": "0", "EDC_HTTPS": "0"},
        stdout=log.open("wb"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"gunicorn exited with {proc.returncode}; see {log}")
        try:
            urllib.request.urlopen(f"{base}/healthz", timeout=5).read()
            break
        except OSError:
            time.sleep(0.3)
    else:
        proc.kill()
        pytest.fail(f"gunicorn did not answer within 60 s; see {log}")
    yield base
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
