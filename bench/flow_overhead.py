"""What a flow run costs in Prefect on this machine, with the flow heartbeat on and off.

    .venv/bin/python bench/flow_overhead.py [--runs 10]

Runs N trivial sequential flow runs (each with one task) against a temporary Prefect server,
once with the default heartbeat (180 s) and once with it switched off, and prints the median
per-run wall time of each and their ratio. Figures are recorded in docs/operations.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time

os.environ.setdefault("PREFECT_HOME", tempfile.mkdtemp(prefix="unionaid-bench-"))
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")

from prefect import flow, task  # noqa: E402
from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings  # noqa: E402
from prefect.testing.utilities import prefect_test_harness  # noqa: E402


@task
def step(x: int) -> int:
    return x + 1


@flow
def trivial(x: int) -> int:
    return step(x)


def measure(runs: int) -> list[float]:
    trivial(0)  # warm-up: first run pays for imports and registration
    times = []
    for i in range(runs):
        started = time.perf_counter()
        trivial(i)
        times.append(time.perf_counter() - started)
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    with prefect_test_harness(server_startup_timeout=120):
        with_heartbeat = measure(args.runs)
        with temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
            without = measure(args.runs)
    on, off = statistics.median(with_heartbeat), statistics.median(without)
    print(f"flow runs: {args.runs} each, median wall time per run")
    print(f"  heartbeat on (default 180 s): {on * 1000:7.0f} ms")
    print(f"  heartbeat off               : {off * 1000:7.0f} ms")
    print(f"  ratio on/off                : {on / off:7.2f}")


if __name__ == "__main__":
    main()
