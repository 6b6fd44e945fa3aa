"""Campaign flows: one flow run carries a whole batch, as tasks over chunks of case numbers.

``student-aid-campaign`` (金秋助学) carries a campaign on from its stored status as far as it
can today: verification → the public notice opens, and the run ends while the notice runs; a
later run (the daily schedule) closes the notice once its last day is past; the batch then
waits for its approval. ``campaign-approval`` (批量审批) is that approval: an approver types their
staff number and one-time code, every case waiting is approved as them, and the approved cases
are paid in the same run. A case verified after the notice opened (its documents came late) gets
a supplementary notice of its own and waits for the next batch approval once that has ended; the
campaign is done when every case is finished. ``seasonal-relief`` (冬送温暖 / 夏送清凉), started by
a caseworker who proves who they are, includes every registered hardship household at its
tier's fixed amount, checks the budget before creating anything, and leaves the batch waiting
for its approval. No campaign approves anything in the name stored when it was created.

A run passes the campaign code and case numbers to its tasks, nothing personal. It shows a
progress artifact (``campaign-<code>-progress``) and ends with a summary artifact under a stable
key (``campaign-<code>``). Whether a case was verified, approved or paid is read from our
database on every run, never from a Prefect state: re-running any run is safe.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import date
from typing import Any, Literal, cast
from uuid import UUID

from prefect import flow, get_run_logger, unmapped
from prefect.artifacts import create_markdown_artifact, create_progress_artifact, update_progress_artifact
from prefect.task_runners import ThreadPoolTaskRunner
from pydantic import BaseModel, ConfigDict, Field

from flows.run_parameters import forget_codes
from models.campaigns import CampaignKind, CampaignStatus, artifact_key, check_code, chunks, default_code
from models.enums import CaseStatus
from models.errors import InputError, NotFound
from models.identity import CODE_PATTERN, StaffClaim, Verified
from services import campaigns
from services.masking import install_masking
from tasks.campaigns import (
    approve_chunk_task,
    batch_readiness_task,
    campaign_cases_task,
    campaign_status_task,
    cases_ready_task,
    close_notice_task,
    create_seasonal_chunk_task,
    finish_approval_task,
    finish_campaign_task,
    open_notice_task,
    open_seasonal_task,
    pay_chunk_task,
    plan_seasonal_task,
    prove_staff_task,
    supplementary_notice_task,
    verify_chunk_task,
)

install_masking()

CHUNK_SIZE = 50  # cases per task: ~20 tasks for 1,000 students, each a few seconds of work
CONCURRENCY = 4  # chunks at a time; SQLite takes one writer at a time, the HTTP calls overlap

C = CaseStatus


def _student_aid_code(campaign_code: str | None, today: date | None) -> str:
    """The code given, else this year's default (``student-aid-2026``): a daily schedule needs no parameters."""
    if campaign_code:
        return check_code(campaign_code)
    return default_code(CampaignKind.student_aid, (today or campaigns.local_today()).year)


def _run_name() -> str:
    from prefect.runtime import flow_run

    parameters = dict(flow_run.parameters or {})
    if parameters.get("kind") and parameters.get("year"):
        return f"campaign-{default_code(CampaignKind(parameters['kind']), int(parameters['year']))}"
    today = parameters.get("today")
    try:
        code = _student_aid_code(parameters.get("campaign_code"), date.fromisoformat(str(today)) if today else None)
    except (InputError, ValueError):
        code = "unknown"
    return f"campaign-{code}"


class Progress:
    """The campaign's progress bar: each case verified, decided and paid (or finished early)."""

    def __init__(self, code: str) -> None:
        self.code = code
        # Prefect's async_dispatch types the result as UUID | Coroutine; in these sync flows it runs the sync version.
        self.artifact: UUID | None = cast(UUID, create_progress_artifact(
            progress=campaigns.campaign_progress(code), key=f"{artifact_key(code)}-progress",
            description=f"campaign {code}: starting"))

    def show(self, phase: str, done: int, total: int) -> None:
        if self.artifact is not None:
            update_progress_artifact(self.artifact, progress=campaigns.campaign_progress(self.code),
                                     description=f"campaign {self.code}: {phase} {done}/{total} cases")


def _in_chunks(phase: str, run: Callable[[list[list[Any]]], list[Any]], items: list[Any],
               progress: Progress) -> tuple[dict[str, int], int]:
    """Map a chunk task over ``items``; (counts added up, cases in chunks that failed)."""
    counts: Counter[str] = Counter()
    parts = list(chunks(items, CHUNK_SIZE))
    failed, done = 0, 0
    for part, future in zip(parts, run(parts), strict=True):
        future.wait()
        if future.state.is_completed():
            counts.update(future.result())
        else:  # the cases stay where they are; the next run takes them up again
            failed += len(part)
            counts["chunk failed"] += len(part)
        done += len(part)
        progress.show(phase, done, len(items))
    return dict(counts), failed


def _summary(code: str, outcome: dict[str, Any]) -> dict[str, Any]:
    create_markdown_artifact(key=artifact_key(code), markdown=campaigns.summary_markdown(code),
                             description=f"campaign {code}: where it stands (no personal data)")
    view = campaign_status_task(code)
    outcome.update(campaign=code, status=view.status.value, cases=view.cases)
    get_run_logger().info("campaign %s is %s: %s", code, view.status.value, outcome)
    return outcome


def _approve_and_pay(code: str, progress: Progress, outcome: dict[str, Any], approver: Verified | None = None) -> None:
    """Approve what waits for the batch approval (only as an approver who proved who they are:
    without one, the cases wait and the outcome says so), then pay what is approved."""
    view = campaign_status_task(code)
    if view.status in (CampaignStatus.approving, CampaignStatus.paying):
        # While paying, this approves the cases of supplementary notices that have ended.
        numbers = campaign_cases_task(code, (C.awaiting_approval,), batch_only=True)
        if numbers and approver is None:
            outcome["approval"] = batch_readiness_task(code, numbers)
            waiting = outcome["approval"].get("waiting for the batch approval", 0)
            if waiting:
                get_run_logger().info("campaign %s: %d case(s) wait for the batch approval: an approver runs "
                                      "campaign-approval (or `unionaid campaigns approve %s --as …`)", code, waiting, code)
            if view.status == CampaignStatus.approving and waiting:
                return
        elif numbers:
            outcome["approval"], failed = _in_chunks(
                "approval", lambda parts: approve_chunk_task.map(unmapped(code), parts, unmapped(approver)),
                numbers, progress)
            if failed:
                return  # the campaign stays where it is; the next run approves what is left
    if view.status == CampaignStatus.approving:
        finish_approval_task(code)
        view = campaign_status_task(code)
    if view.status == CampaignStatus.paying:
        numbers = campaign_cases_task(code, (C.approved, C.payout_pending, C.paid), batch_only=True)
        outcome["payment"], _ = _in_chunks("payment", lambda parts: pay_chunk_task.map(parts), numbers, progress)
        finish_campaign_task(code)


class BatchApproval(BaseModel):
    """The batch approval of a campaign, by an approver who proves who they are."""

    model_config = ConfigDict(title="Campaign batch approval 活动批量审批", hide_input_in_errors=True)

    campaign_code: str = Field(title="Campaign 活动编号", description="e.g. student-aid-2026 or winter-relief-2026",
                               min_length=1, max_length=40)
    approver: str = Field(title="Approver staff number 审批人工号",
                          description="who approves the batch; recorded in the audit trail", min_length=1, max_length=32)
    one_time_code: str = Field(title="One-time code 动态码", pattern=CODE_PATTERN,
                               description="your code from your authenticator app")


def _approval_run_name() -> str:
    from prefect.runtime import flow_run

    approval = flow_run.parameters.get("approval")
    code = approval.get("campaign_code") if isinstance(approval, dict) else getattr(approval, "campaign_code", None)
    return f"campaign-approval-{code or 'campaign'}"


@flow(name="campaign-approval", flow_run_name=_approval_run_name,
      task_runner=ThreadPoolTaskRunner(max_workers=CONCURRENCY), log_prints=False)  # type: ignore[arg-type]
def approve_campaign(approval: BatchApproval) -> dict[str, Any]:
    """批量审批: an approver approves every case of a campaign waiting for the batch approval,
    with one one-time code, and the approved cases are paid in this run."""
    forget_codes({"approval": approval.model_dump(mode="json")})  # first of all: no code kept
    code = check_code(approval.campaign_code.strip())
    approver = prove_staff_task(StaffClaim(approval.approver.strip(), approval.one_time_code.strip()))
    progress = Progress(code)
    outcome: dict[str, Any] = {"approver": approver.staff_number}
    _approve_and_pay(code, progress, outcome, approver=approver)
    return _summary(code, outcome)


# The ignores on task_runner (here and below): Prefect types it as TaskRunner[PrefectFuture[Any]] with an
# invariant parameter, which no ThreadPoolTaskRunner (a TaskRunner[PrefectConcurrentFuture[R]]) matches.
@flow(name="student-aid-campaign", flow_run_name=_run_name,
      task_runner=ThreadPoolTaskRunner(max_workers=CONCURRENCY), log_prints=False)  # type: ignore[arg-type]
def student_aid_campaign(campaign_code: str | None = None, today: date | None = None) -> dict[str, Any]:
    """Carry a student-aid campaign (金秋助学) on from its stored status as far as it can today.

    ``campaign_code`` defaults to this year's (``student-aid-<year>``). ``today`` (Asia/Shanghai)
    defaults to the real date; tests and benchmarks pass a later one to let the notice pass."""
    code = _student_aid_code(campaign_code, today)
    found = campaign_status_task(code, return_state=True)
    if not found.is_completed():
        missing = found.result(raise_on_failure=False)
        if campaign_code is None and isinstance(missing, NotFound):
            # The daily schedule outside the season: nothing to do is not a failure.
            get_run_logger().info("there is no campaign %s (yet): nothing to do", code)
            return {"campaign": code, "status": "none"}
        found.result()  # raises what went wrong
    view = found.result()
    if view.kind != CampaignKind.student_aid:
        raise InputError("campaign_code", f"campaign {code} is {view.kind.value}; run seasonal-relief for it")
    progress = Progress(code)
    outcome: dict[str, Any] = {}
    if view.status != CampaignStatus.done:
        # Before the notice: the whole batch. After it: cases whose missing documents came since.
        numbers = campaign_cases_task(code, (C.submitted, C.verifying))
        if numbers:
            outcome["verification"], failed = _in_chunks(
                "verification", lambda parts: verify_chunk_task.map(parts), numbers, progress)
            if failed and view.status == CampaignStatus.open:
                return _summary(code, outcome)  # no notice before every case is verified
    if view.status == CampaignStatus.open:
        view = open_notice_task(code, today)
    if view.status in (CampaignStatus.notice, CampaignStatus.approving, CampaignStatus.paying):
        listed = supplementary_notice_task(code, today)
        if listed:
            outcome["supplementary notice"] = listed
    if view.status == CampaignStatus.notice and not close_notice_task(code, today):
        return _summary(code, outcome)  # the notice runs; a later run carries on
    _approve_and_pay(code, progress, outcome)
    return _summary(code, outcome)


@flow(name="seasonal-relief", flow_run_name=_run_name,
      task_runner=ThreadPoolTaskRunner(max_workers=CONCURRENCY), log_prints=False)  # type: ignore[arg-type]
def seasonal_relief(kind: Literal["winter_relief", "summer_relief"], year: int, caseworker: str, one_time_code: str,
                    approver: str, today: date | None = None) -> dict[str, Any]:
    """冬送温暖 / 夏送清凉: every registered hardship household, the fixed amount for its tier,
    submitted by ``caseworker`` (who proves it with ``one_time_code``); ``approver`` then
    approves the batch (campaign-approval) and it is paid. Refused whole when the budget is short."""
    forget_codes({"kind": kind, "year": year, "caseworker": caseworker, "approver": approver,
                  "today": today.isoformat() if today else None})  # first of all: no code kept
    submitted_by = prove_staff_task(StaffClaim(caseworker.strip(), one_time_code.strip()))
    view = open_seasonal_task(kind, year, submitted_by.staff_number, approver, today)
    code = view.code
    progress = Progress(code)
    outcome: dict[str, Any] = {}
    if view.status == CampaignStatus.open:
        state = plan_seasonal_task(code, return_state=True)
        if not state.is_completed():
            refusal = state.result(raise_on_failure=False)
            create_markdown_artifact(key=artifact_key(code), description=f"campaign {code}: refused",
                                     markdown=f"# Campaign {code}: nothing created\n\n{refusal}\n")
            raise refusal if isinstance(refusal, BaseException) else RuntimeError(str(refusal))
        plan = state.result()
        outcome["plan"] = {"households": len(plan.household_ids), "needed_fen": plan.needed_fen,
                           "remaining_fen": plan.remaining_fen, "skipped": plan.skipped}
        outcome["creation"], failed = _in_chunks(
            "case creation", lambda parts: create_seasonal_chunk_task.map(unmapped(code), parts, unmapped(submitted_by)),
            list(plan.household_ids), progress)
        if failed:
            return _summary(code, outcome)
        cases_ready_task(code)
    _approve_and_pay(code, progress, outcome)
    return _summary(code, outcome)
