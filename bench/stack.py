"""Run the production stack on a free port of 127.0.0.1, against a throw-away database.

Used by the browser tests (tests/e2e) and the web benchmark (bench/web.py), so both see
the platform exactly as `make demo` serves it: gunicorn sync workers, static files
collected with hashed names and served by whitenoise, the demo data in SQLite.

Everything lives in a private XIETONG_VAR_DIR (database, job queue, secret key, static
files); the developer's var/ is neither read nor written. Only the front-end assets that
`make assets` copies into xietong/static/vendor/ must exist.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
VENDOR_CSS = PROJECT_DIR / "xietong/static/vendor/tabler/tabler.min.css"


class StackError(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Stack:
    """``with Stack(var_dir) as stack: stack.origin`` — gunicorn serving the demo data."""

    def __init__(
        self,
        var_dir: Path,
        *,
        workers: int = 3,
        settings: str = "xietong.settings",
        access_log: bool = False,
    ) -> None:
        self.var_dir = Path(var_dir)
        self.workers = workers
        self.settings = settings
        self.access_log = access_log
        self.port = 0
        self.process: subprocess.Popen | None = None
        self.log = self.var_dir / "gunicorn.log"

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return self.origin + path

    def env(self) -> dict[str, str]:
        # Only this stack's XIETONG_* variables: a developer's XIETONG_DATABASE_URL or
        # XIETONG_REDIS_URL must not leak into the throw-away server.
        env = {k: v for k, v in os.environ.items() if not k.startswith("XIETONG_")}
        env.update(
            XIETONG_ENV="demo",
            XIETONG_VAR_DIR=str(self.var_dir),
            XIETONG_STATIC_ROOT=str(self.var_dir / "static"),
            XIETONG_DATABASE_URL=f"sqlite:///{self.var_dir / 'xietong.sqlite3'}",
            XIETONG_DEBUG="false",
            XIETONG_LANGUAGE="zh-hans",
            XIETONG_LOG_LEVEL="WARNING",
            DJANGO_SETTINGS_MODULE=self.settings,
            PYTHONPATH=os.pathsep.join(
                filter(None, [str(PROJECT_DIR), os.environ.get("PYTHONPATH")])
            ),
        )
        return env

    def manage(self, *args: str) -> str:
        result = subprocess.run(
            [sys.executable, "-m", "xietong", *args],
            cwd=PROJECT_DIR,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=600,
        )
        if result.returncode != 0:
            raise StackError(f"xietong {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
        return result.stdout

    def prepare(self) -> None:
        """Collect static files, migrate and load the demo data into the private var dir."""
        if not VENDOR_CSS.exists():
            raise StackError("Front-end assets are missing: run `make static` first.")
        self.var_dir.mkdir(parents=True, exist_ok=True)
        self.manage("collectstatic", "--noinput", "-v", "0")
        self.manage("migrate", "--noinput", "-v", "0")
        self.manage("demo", "load")

    def start(self) -> None:
        self.port = free_port()
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "xietong.wsgi:application",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            str(self.workers),
            "--log-level",
            "warning",
        ]
        if self.access_log:
            command += ["--access-logfile", str(self.var_dir / "access.log")]
        with self.log.open("w") as log:
            self.process = subprocess.Popen(
                command, cwd=PROJECT_DIR, env=self.env(), stdout=log, stderr=subprocess.STDOUT
            )
        self._wait_until_healthy()

    def _wait_until_healthy(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise StackError(f"gunicorn exited ({self.process.returncode}):\n{self.logs()}")
            try:
                with urllib.request.urlopen(self.url("/healthz"), timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.2)
        self.stop()
        raise StackError(f"gunicorn did not become healthy in {timeout:.0f} s:\n{self.logs()}")

    def logs(self) -> str:
        return self.log.read_text() if self.log.exists() else ""

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def __enter__(self) -> Stack:
        self.prepare()
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
