"""`unionaid up` as a newcomer runs it: everything starts, every deployment is served, Ctrl-C stops it all."""

import os
import signal
import socket
import subprocess
import sys
import time

import httpx
import pytest

from deployments.registry import DEPLOYMENTS
from services.settings import REPO_ROOT


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_children_die_with_a_killed_up(tmp_path):
    port = free_port()
    # Everything `up` reads is named here, even the database (a .env in the checkout is not asked).
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "UNIONAID_"))}
    env.update(UNIONAID_DATA_DIR=str(tmp_path), UNIONAID_DATABASE_URL=f"sqlite:///{tmp_path / 'unionaid.db'}",
               UNIONAID_PREFECT_PORT=str(port),
               UNIONAID_PAYMENT_URL=f"http://127.0.0.1:{free_port()}", UNIONAID_REGISTRY_URL=f"http://127.0.0.1:{free_port()}")
    log = tmp_path / "up.log"
    with log.open("w") as out:
        up = subprocess.Popen([sys.executable, "-m", "unionaid_cli.main", "up", "--no-demo"], cwd=REPO_ROOT, env=env,
                              stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    health = f"http://127.0.0.1:{port}/api/health"
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        try:
            if httpx.get(health, timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(1)
    else:
        os.killpg(up.pid, signal.SIGKILL)
        pytest.fail("the Prefect server never answered: " + log.read_text())
    os.killpg(up.pid, signal.SIGKILL)  # no chance to clean up
    up.wait(30)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) != 0:
                return
        time.sleep(1)
    pytest.fail("the Prefect server outlived a killed `unionaid up`")


def test_up_serves_every_deployment_and_ctrl_c_stops_everything(tmp_path):
    prefect, pay, reg = free_port(), free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "UNIONAID_"))}
    env.update(UNIONAID_DATA_DIR=str(tmp_path), UNIONAID_DATABASE_URL=f"sqlite:///{tmp_path / 'unionaid.db'}",
               UNIONAID_PREFECT_PORT=str(prefect),
               UNIONAID_PAYMENT_URL=f"http://127.0.0.1:{pay}", UNIONAID_REGISTRY_URL=f"http://127.0.0.1:{reg}")
    log = tmp_path / "up.log"
    with log.open("w") as out:
        up = subprocess.Popen([sys.executable, "-m", "unionaid_cli.main", "up"], cwd=REPO_ROOT, env=env,
                              stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 300  # generous: CI machines are shared
        while "unionaid is up" not in log.read_text() and time.monotonic() < deadline:
            assert up.poll() is None, log.read_text()
            time.sleep(1)
        assert "unionaid is up" in log.read_text(), log.read_text()
        api = f"http://127.0.0.1:{prefect}/api"
        assert httpx.post(f"{api}/deployments/count", json={}).json() == len(DEPLOYMENTS)
        assert httpx.get(f"http://127.0.0.1:{pay}/health").status_code == 200
        assert httpx.get(f"http://127.0.0.1:{reg}/health").status_code == 200
        assert "seeded demo" in log.read_text()
    finally:
        os.killpg(up.pid, signal.SIGINT)
        try:
            code = up.wait(timeout=120)
        except subprocess.TimeoutExpired:
            os.killpg(up.pid, signal.SIGKILL)  # its children die with it (parent-death signal)
            raise
    assert code == 0, log.read_text()
    assert log.read_text().rstrip().endswith("unionaid: stopped")
    for port in (prefect, pay, reg):
        with socket.socket() as sock:
            assert sock.connect_ex(("127.0.0.1", port)) != 0, f"something still listens on {port}"
