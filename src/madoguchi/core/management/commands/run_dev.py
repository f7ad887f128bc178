"""`make run`: the development server and a task worker together; Ctrl-C stops both."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = "Run the web server and the background task worker (development)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--host", default="127.0.0.1")

    def handle(self, *args: Any, port: int, host: str, **options: Any) -> None:
        if settings.IS_PRODUCTION:
            raise CommandError(
                "run_dev is for development; run gunicorn and db_worker in production (docs/operations.md)."
            )
        from madoguchi.demo.data import print_demo_logins

        print_demo_logins(self.stdout)
        python = sys.executable
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        # `kill` (SIGTERM) stops both children just like Ctrl-C does.
        signal.signal(signal.SIGTERM, lambda signum, frame: (_ for _ in ()).throw(KeyboardInterrupt()))
        web = subprocess.Popen([python, "-m", "madoguchi", "runserver", f"{host}:{port}"], env=env)  # noqa: S603 (own interpreter)
        worker = subprocess.Popen([python, "-m", "madoguchi", "db_worker", "--interval", "1"], env=env)  # noqa: S603
        self.stdout.write(self.style.SUCCESS(f"Madoguchi: http://{host}:{port}/  (Ctrl-C stops server and worker)"))
        try:
            while web.poll() is None and worker.poll() is None:
                try:
                    web.wait(timeout=1)
                except subprocess.TimeoutExpired:
                    continue
        except KeyboardInterrupt:
            pass
        finally:
            for process in (web, worker):
                if process.poll() is None:
                    process.send_signal(signal.SIGINT)
            for process in (web, worker):
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
