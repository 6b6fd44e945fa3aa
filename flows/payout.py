"""Paying approved cases, and resolving payouts whose outcome is not yet known.

The flows only orchestrate: whether money moved is decided by our payout rows and the
provider's answer for our reference, never by a Prefect state.
"""

from __future__ import annotations

import time
from collections import Counter
from typing import cast
from uuid import UUID

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact, create_progress_artifact, update_progress_artifact
from prefect.task_runners import ThreadPoolTaskRunner

from casetypes.labels import case_run_name, tag_current_run
from models.errors import PermanentError
from models.payouts import PayoutStatus
from models.payouts import outcome as payouts_outcome
from services.masking import install_masking
from services.payouts import unfinished_because
from tasks.cases import load_case_label
from tasks.payouts import list_approved_cases, list_open_payouts, pay_case_task, resolve_payout_task

install_masking()

PAYOUT_CONCURRENCY = 4
UNKNOWN_RECHECKS = (2, 5, 15)  # seconds between asking the provider again about an unknown outcome


@flow(name="payout", flow_run_name=case_run_name, log_prints=False)
def pay_case_flow(case_number: str) -> str:
    """Pay one approved case. An unknown outcome is asked about a few times, then left to the resolver."""
    logger = get_run_logger()
    label = load_case_label(case_number.upper())
    tag_current_run(label.case_type, label.unit)
    statuses = []
    for view in pay_case_task(label.case_number):
        status = view.status
        for wait in UNKNOWN_RECHECKS:
            if status not in (PayoutStatus.submitted, PayoutStatus.unknown):
                break
            time.sleep(wait)
            status = resolve_payout_task(view.id)
        logger.info("payout %s for %s: %s", view.reference, label.case_number, status.value)
        statuses.append(status)
    return payouts_outcome(statuses).value


def _batch_run_name() -> str:
    from prefect.runtime import flow_run

    programme = (flow_run.parameters or {}).get("programme_code")
    return f"pay-approved-{programme or 'all-programmes'}"


# The ignore on task_runner: Prefect types it as TaskRunner[PrefectFuture[Any]] with an invariant
# parameter, which no ThreadPoolTaskRunner (a TaskRunner[PrefectConcurrentFuture[R]]) matches.
@flow(name="pay-approved", flow_run_name=_batch_run_name,
      task_runner=ThreadPoolTaskRunner(max_workers=PAYOUT_CONCURRENCY), log_prints=False)  # type: ignore[arg-type]
def pay_approved_cases(programme_code: str | None = None, limit: int = 500) -> dict[str, int]:
    """Pay every approved case (optionally of one programme) in one run, four at a time."""
    logger = get_run_logger()
    numbers = list_approved_cases(programme_code, limit)
    # Prefect's async_dispatch types the result as UUID | Coroutine; in this sync flow it runs the sync version.
    progress = cast(UUID, create_progress_artifact(progress=0.0, description="approved cases paid"))
    outcome: Counter[str] = Counter()
    futures = pay_case_task.map(numbers)
    for done, future in enumerate(futures, start=1):
        future.wait()
        if future.state.is_completed():
            outcome[payouts_outcome(view.status for view in future.result()).value] += 1
        else:  # the case stays approved or open; the resolver and a later batch pick it up
            outcome["error"] += 1
        if progress is not None and (done % 10 == 0 or done == len(numbers)):
            update_progress_artifact(progress, progress=100.0 * done / max(1, len(numbers)))
    table = "\n".join(f"| {status} | {count} |" for status, count in sorted(outcome.items()))
    create_markdown_artifact(key="pay-approved", markdown=f"# Payout batch\n\n| outcome | cases |\n|---|---:|\n{table}\n",
                             description="payout batch outcome (no personal data)")
    logger.info("payout batch: %s", dict(outcome))
    return dict(outcome)


@flow(name="resolve-payouts", flow_run_name="resolve-payouts", log_prints=False)
def resolve_open_payouts(older_than_seconds: int = 60) -> dict[str, int]:
    """Drive every open payout (prepared, submitted, unknown) to a final state where possible.
    One that cannot be finished is named in the artifact with why, and never stops the others;
    the run fails at the end when there was one."""
    logger = get_run_logger()
    outcome: Counter[str] = Counter()
    unfinished: list[tuple[int, str, str]] = []
    for payout_id in list_open_payouts(older_than_seconds):
        state = resolve_payout_task(payout_id, return_state=True)
        if state.is_completed():
            outcome[state.result().value] += 1
            continue
        error = state.result(raise_on_failure=False)
        label, why = unfinished_because(error if isinstance(error, BaseException) else RuntimeError(str(error)))
        outcome[label] += 1
        unfinished.append((payout_id, label, why))
    rows = "\n".join(f"| {k} | {v} |" for k, v in sorted(outcome.items()))
    detail = "".join(f"| {payout_id} | {label} | {why.replace('|', '/')} |\n" for payout_id, label, why in unfinished)
    create_markdown_artifact(key="resolve-payouts",
                             markdown="# Open payouts resolved\n\n| now | payouts |\n|---|---:|\n" + rows + "\n"
                             + (f"\n## Not finished\n\n| payout | outcome | why |\n|---:|---|---|\n{detail}"
                                if unfinished else ""),
                             description="resolver pass over open payouts")
    logger.info("resolver: %s", dict(outcome) or "nothing open")
    if unfinished:
        raise PermanentError(f"{len(unfinished)} payout(s) could not be finished: "
                             + "; ".join(f"payout {i}: {label}" for i, label, _ in unfinished)
                             + "; see the run's artifact and `unionaid payouts list`")
    return dict(outcome)
