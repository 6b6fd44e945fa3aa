"""The sweep: every case waiting on the system (approved to be paid, paid to be closed) that no
live run carries on gets a run of its own. Scheduled; safe to run at any time."""

from __future__ import annotations

from collections import Counter

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact

from services.masking import install_masking
from tasks.cases import carry_on_case_task, stalled_cases_task

install_masking()


def _outcome(done: str) -> str:
    return "started a run" if done.startswith("started run") else done


@flow(name="sweep-stalled-cases", flow_run_name="sweep-stalled-cases", log_prints=False)
def sweep_stalled_cases(quiet_minutes: int = 10) -> dict[str, int]:
    """Find the cases that have waited on the system for ``quiet_minutes`` and carry each on."""
    logger = get_run_logger()
    outcome: Counter[str] = Counter()
    lines = []
    for number in stalled_cases_task(quiet_minutes):
        done = _outcome(carry_on_case_task(number))
        outcome[done] += 1
        lines.append(f"| {number} | {done} |")
    create_markdown_artifact(key="sweep-stalled-cases", description="cases carried on by the sweep (case numbers only)",
                             markdown="# Stalled cases\n\n" + ("| case | done |\n|---|---|\n" + "\n".join(lines) + "\n"
                                                               if lines else "Nothing waits on the system.\n"))
    logger.info("sweep: %s", dict(outcome) or "nothing stalled")
    return dict(outcome)
