"""``unionaid up``: the whole local stack in one command, stopped cleanly by Ctrl-C.

Order: migrate our database → seed demo data when empty → Prefect server (SQLite, with UI) →
sandboxes of the external services → one process serving every deployment. Each child's
output goes to ``var/logs/<name>.log``; if one dies, everything stops and the log is named.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

import httpx

from devtools import demo
from services import migrate
from services.db import get_engine
from services.prefect_env import apply_prefect_env
from services.settings import REPO_ROOT, get_settings


@dataclass
class Child:
    name: str
    process: subprocess.Popen
    log: Path


def _die_with_parent() -> None:
    """Runs in each child before exec: on Linux, SIGTERM it when `unionaid up` dies, however it
    dies (even SIGKILL), so nothing is left running."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass  # not Linux: Ctrl-C and SIGTERM still stop everything


def _start(name: str, args: list[str], logs: Path) -> Child:
    log = logs / f"{name}.log"
    handle = log.open("ab")
    process = subprocess.Popen(args, cwd=REPO_ROOT, stdout=handle, stderr=subprocess.STDOUT,
                               stdin=subprocess.DEVNULL, start_new_session=True, preexec_fn=_die_with_parent)
    return Child(name, process, log)


def _wait_http(url: str, child: Child, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if child.process.poll() is not None:
            raise RuntimeError(f"{child.name} exited during start-up; see {child.log}")
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{child.name} did not answer at {url} within {timeout:.0f} s; see {child.log}")


def _wait_deployments(api_url: str, expected: int, child: Child, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if child.process.poll() is not None:
            raise RuntimeError(f"{child.name} exited during start-up; see {child.log}")
        try:
            count = httpx.post(f"{api_url}/deployments/count", json={}, timeout=5).json()
            if int(count) >= expected:
                return
        except (httpx.HTTPError, ValueError):
            pass
        time.sleep(1)
    raise RuntimeError(f"deployments were not registered within {timeout:.0f} s; see {child.log}")


def _stop(children: list[Child]) -> None:
    """Last started, first stopped, one at a time: the serving process still needs the
    server while it shuts down (it pauses its schedules there)."""
    for child in reversed(children):
        if child.process.poll() is not None:
            continue
        os.killpg(child.process.pid, signal.SIGINT)
        try:
            child.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(child.process.pid, signal.SIGKILL)
            child.process.wait()


def _sandbox_commands() -> list[tuple[str, list[str], str]]:
    """The external-service sandboxes, when this checkout has them."""
    if not (REPO_ROOT / "sandbox" / "__main__.py").exists():
        return []
    s = get_settings()
    data = s.data_dir
    pay_port = httpx.URL(s.payment_url).port or 4301
    reg_port = httpx.URL(s.registry_url).port or 4302
    return [
        ("sandbox-payment", [sys.executable, "-m", "sandbox", "payment", "--port", str(pay_port),
                             "--db", str(data / "sandbox-payment.db")], f"{s.payment_url}/health"),
        ("sandbox-registry", [sys.executable, "-m", "sandbox", "registry", "--port", str(reg_port),
                              "--members", str(data / "registry-members.json")], f"{s.registry_url}/health"),
    ]


def run_stack(seed_demo: bool = True) -> int:
    started = time.monotonic()
    settings = get_settings()
    apply_prefect_env(settings)
    logs = settings.data_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    settings.prefect_home.mkdir(parents=True, exist_ok=True)

    print("unionaid: migrating the database …", flush=True)
    migrate.upgrade(get_engine())
    if seed_demo and demo.seed_demo():
        print("unionaid: empty database, seeded demo units, staff and members", flush=True)
    demo.write_registry_seed(settings.data_dir / "registry-members.json")

    children: list[Child] = []
    interrupted = False

    def _on_term(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    # Both signals stop the stack; SIGINT is set explicitly because a shell that starts us in
    # the background would otherwise leave it ignored.
    signal.signal(signal.SIGTERM, _on_term)
    signal.signal(signal.SIGINT, _on_term)
    try:
        print(f"unionaid: starting the Prefect server on {settings.prefect_host}:{settings.prefect_port} …", flush=True)
        server = _start("prefect-server", [sys.executable, "-m", "prefect", "server", "start", "--host",
                                           settings.prefect_host, "--port", str(settings.prefect_port)], logs)
        children.append(server)
        _wait_http(f"{settings.prefect_api_url}/health", server, timeout=120)
        for name, args, health in _sandbox_commands():
            child = _start(name, args, logs)
            children.append(child)
            _wait_http(health, child, timeout=30)
        print("unionaid: serving the deployments …", flush=True)
        from deployments.registry import DEPLOYMENTS

        serve = _start("serve", [sys.executable, "-m", "deployments"], logs)
        children.append(serve)
        _wait_deployments(settings.prefect_api_url, len(DEPLOYMENTS), serve, timeout=120)
        ui = settings.prefect_api_url.removesuffix("/api")
        print(f"""
unionaid is up (ready in {time.monotonic() - started:.0f} s)
  Prefect UI     {ui}            runs, deployments, artifacts
  deployments    {ui}/deployments
  our database   {get_settings().effective_database_url}
  logs           {logs}/
  try            .venv/bin/unionaid cases list    ·    .venv/bin/unionaid audit verify
Ctrl-C stops everything.
""", flush=True)
        while True:
            for child in children:
                if child.process.poll() is not None:
                    print(f"unionaid: {child.name} stopped unexpectedly; see {child.log}", file=sys.stderr)
                    return 1
            time.sleep(1)
    except KeyboardInterrupt:
        interrupted = True
        return 0
    except RuntimeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        if children:
            print("unionaid: stopping …" if interrupted else "unionaid: shutting down …", flush=True)
            _stop(children)
            print("unionaid: stopped", flush=True)
