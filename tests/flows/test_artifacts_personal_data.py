"""What Prefect keeps holds no personal data: every artifact, every flow run's name and
parameters, and every log line, read back from the Prefect API after the flows that publish
artifacts have run (hardship verification and payout, a move by hand, the payout batch and the
resolver, reconciliation with an exception, a student-aid campaign, the audit check).

Resident IDs, bank cards, mobile numbers and names of the test members and their households must
not appear in clear; masked forms (``110105********0012``) are fine.
"""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, date, datetime, timedelta

import httpx
from prefect import get_client
from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId
from prefect.logging.handlers import APILogWorker

from casetypes.hardship import hardship_intake
from flows.audit_verify import verify_audit_trail
from flows.campaigns import student_aid_campaign
from flows.case import case as case_flow
from flows.case_transition import CaseMove, move_case
from flows.payout import pay_approved_cases, resolve_open_payouts
from flows.reconciliation import reconcile_flow
from models.enums import CaseStatus, CaseType
from models.time import utcnow
from services import approvals, campaigns, ledger
from services.settings import get_settings
from tests import factories
from tests.factories import as_staff, bank_card, fresh_code, resident_id, typed_in
from tests.flows.test_campaign_flows import application as student_application
from tests.flows.test_hardship_flows import form

DIAGNOSIS = "diagnosed with acute leukaemia 急性白血病"
HOUSEHOLD = [{"name": "Zhang Weiguo", "relation": "self", "monthly_income_yuan": "600"},
             {"name": "Zhang Xiaoli", "relation": "child", "monthly_income_yuan": "0"}]


def personal_data() -> dict[str, re.Pattern[str]]:
    """Each secret the test world holds, by what it is (factories.members and the forms below):
    numbers in clear (any case of a check character x), names as whole words."""
    numbers, names = {}, {}
    for i in (1, 2, 3):
        numbers[f"resident ID of M000{i}"] = resident_id(seq=i)
        numbers[f"bank card of M000{i}"] = bank_card(i)
        numbers[f"mobile of M000{i}"] = f"1380013{i:04d}"
        names[f"name of M000{i}"] = f"Member {i}"
    for person in HOUSEHOLD:
        names[f"household member {person['relation']}"] = person["name"]
    names["student's parent"], names["student"] = "Parent 3", "Student 3"
    return {**{what: re.compile(rf"(?<!\d){re.escape(n)}(?![\dXx])", re.IGNORECASE) for what, n in numbers.items()},
            **{what: re.compile(rf"\b{re.escape(n)}\b") for what, n in names.items()}}


def faults(**knobs) -> None:
    httpx.post(f"{get_settings().payment_url}/sandbox/faults", json=knobs).raise_for_status()


def run_every_flow_that_publishes(engine, tmp_path) -> dict[str, str]:
    """The flows, on the test members; returns the case numbers by role."""
    # Hardship: intake (the form holds the ID and names), verification artifact, approval, payout, closing.
    # Identifiers typed where they do not belong (a reason, an approval's reason) too.
    typed = f"call {'1380013' + '0001'}; the son's ID is {resident_id(seq=3)}, card {bank_card(3)}"
    paid = hardship_intake(*typed_in(form(household=HOUSEHOLD, reason=f"{typed}; {DIAGNOSIS}", oral_application=True,
                                          oral_record=factories.oral_record(reasons=f"recorded on the spot: {DIAGNOSIS}"))))
    approvals.approve_case(paid, approver=as_staff("AP1"), amount_fen=150000, reason=f"eligible; {typed}", engine=engine)
    assert case_flow(paid) == "closed"

    # A move by hand, through its run form.
    by_hand = factories.hardship_case(engine, member="M0003").case_number
    assert move_case(CaseMove(case_number=by_hand, to_status=CaseStatus.withdrawn, staff_number="CW1",
                              one_time_code=fresh_code(engine, "CW1"), reason="applicant withdrew")) == "withdrawn"

    # The payout batch, with the provider's answer lost: the outcome stays unknown...
    unknown = hardship_intake(*typed_in(form(applicant_member_number="M0002", resident_id=resident_id(seq=2),
                                   household=HOUSEHOLD)))
    approvals.approve_case(unknown, approver=as_staff("AP1"), amount_fen=150000, reason="eligible", engine=engine)
    faults(share_lost_response=1.0)
    try:
        assert pay_approved_cases() == {"unknown": 1}
    finally:
        faults(share_lost_response=0.0)
    # ... so this month's reconciliation finds a status mismatch (an exception item), then the resolver finishes it.
    month = utcnow().astimezone(get_settings().zone).strftime("%Y-%m")
    assert "1 exception(s) open" in reconcile_flow(month)
    assert resolve_open_payouts(older_than_seconds=0) == {"succeeded": 1}

    # A student-aid campaign: its progress and summary artifacts.
    ledger.add_programme("HA-STUDENT", "Student aid", CaseType.hardship, 2026, 5_000_000, actor=as_staff("FI1"), engine=engine)
    campaigns.create_campaign("student_aid", 2026, caseworker="CW1", approver="AP1", engine=engine)
    path = tmp_path / "students.json"
    path.write_text(json.dumps([student_application(3)], ensure_ascii=False), encoding="utf-8")
    assert campaigns.attach_applications("student-aid-2026", path, submitted_by=as_staff("CW1"), engine=engine).attached
    assert student_aid_campaign("student-aid-2026", today=date(2026, 9, 21))["status"] == "notice"

    assert verify_audit_trail() > 0
    return {"paid": paid, "unknown": unknown, "by_hand": by_hand}


def _all(read, **kwargs) -> list:
    found, offset = [], 0
    while True:
        page = read(limit=200, offset=offset, **kwargs)
        found += page
        if len(page) < 200:
            return found
        offset += 200


def what_prefect_keeps(since: datetime, expect_in_logs: str) -> tuple[dict[str, str], set[str]]:
    """(where -> text) for every flow run, task run name, artifact and log line since ``since``;
    and the artifact keys seen."""
    APILogWorker.drain_all(timeout=10)  # logs travel in batches
    texts: dict[str, str] = {}
    with get_client(sync_client=True) as client:
        runs = [r for r in _all(client.read_flow_runs) if r.created and r.created >= since]
        for run in runs:
            where = f"flow run {run.name} ({run.id})"
            texts[f"{where} name"] = run.name
            texts[f"{where} parameters"] = json.dumps(run.parameters, ensure_ascii=False, default=str)
            texts[f"{where} tags"] = " ".join(run.tags)
            texts[f"{where} state message"] = (run.state.message or "") if run.state else ""
        for task_run in (t for t in _all(client.read_task_runs) if t.created and t.created >= since):
            texts[f"task run {task_run.id} name"] = task_run.name
        artifacts = [a for a in _all(client.read_artifacts) if a.created and a.created >= since]
        for artifact in artifacts:
            texts[f"artifact {artifact.key or artifact.id}@{artifact.id}"] = json.dumps(
                {"data": artifact.data, "description": artifact.description}, ensure_ascii=False, default=str)
        run_ids = [r.id for r in runs]
        deadline = time.monotonic() + 60
        while True:
            logs = _all(client.read_logs, log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=run_ids)))
            if any(expect_in_logs in log.message for log in logs) or time.monotonic() > deadline:
                break
            APILogWorker.drain_all(timeout=10)
            time.sleep(0.5)
        for log in logs:
            texts[f"log {log.id} ({log.name})"] = log.message
    assert any(expect_in_logs in text for where, text in texts.items() if where.startswith("log ")), \
        "the flows' logs did not reach the Prefect API"
    return texts, {a.key for a in artifacts if a.key}


def test_no_artifact_run_name_parameter_or_log_line_holds_a_members_personal_data(services_up, tmp_path):
    since = datetime.now(UTC) - timedelta(seconds=1)
    numbers = run_every_flow_that_publishes(services_up, tmp_path)
    texts, keys = what_prefect_keeps(since, expect_in_logs=f"case {numbers['paid']} is closed")

    # What was read is the real thing: each artifact the README names, and runs named after cases.
    assert {f"verification-{numbers['paid'].lower()}", f"verification-{numbers['unknown'].lower()}",
            "pay-approved", "resolve-payouts", "reconciliation-summary", "reconciliation-exceptions",
            "campaign-student-aid-2026-progress", "campaign-student-aid-2026", "audit-chain"} <= keys
    assert f"hardship-{numbers['paid']}" in texts.values()
    assert f"hardship-{numbers['by_hand']}-withdrawn" in texts.values()
    exceptions = [t for w, t in texts.items() if w.startswith("artifact reconciliation-exceptions@")]
    assert exceptions and f"{numbers['unknown']}-P1" in exceptions[0]

    leaks = {what: sorted(where for where, text in texts.items() if secret.search(text))
             for what, secret in personal_data().items()}
    assert {what: wheres for what, wheres in leaks.items() if wheres} == {}

    # Our own database: no identifier in clear in any column (names are ours to keep; the encrypted,
    # hashed and masked columns are the point). And no log file under the data directory holds either.
    ours = our_clear_columns(services_up)
    logs = {str(path): path.read_text(encoding="utf-8", errors="replace")
            for path in (get_settings().data_dir / "logs").glob("**/*") if path.is_file()}
    numbers = {what: secret for what, secret in personal_data().items() if not what.startswith(("name", "household",
                                                                                                  "student"))}
    numbers["the diagnosis typed into the application"] = re.compile("leukaemia|白血病")
    leaks = {what: sorted(where for where, text in ours.items() if secret.search(text)) for what, secret in numbers.items()}
    leaks.update({f"{what} in logs": sorted(where for where, text in logs.items() if secret.search(text))
                  for what, secret in personal_data().items()})
    assert {what: wheres for what, wheres in leaks.items() if wheres} == {}
    numbers_prefect = {"the diagnosis in Prefect": re.compile("leukaemia|白血病")}
    assert not [where for where, text in texts.items() if numbers_prefect["the diagnosis in Prefect"].search(text)]
    print(f"personal-data scan: {len(texts)} Prefect texts, {len(ours)} database columns, {len(logs)} log files; "
          f"0 hits")


def our_clear_columns(engine) -> dict[str, str]:
    """Every text column of every table of ours, as one text per column (``table.column``)."""
    from sqlalchemy import String, Text, select
    from sqlalchemy.types import JSON
    from sqlmodel import SQLModel

    columns: dict[str, str] = {}
    with engine.connect() as conn:
        for table in SQLModel.metadata.sorted_tables:
            for column in table.columns:
                if column.name.endswith(("_enc", "_encrypted", "_hash", "_masked")) or column.name in ("hash", "prev_hash"):
                    continue
                if isinstance(getattr(column.type, "impl", column.type), (String, Text, JSON)):
                    values = conn.execute(select(column)).scalars().all()
                    columns[f"{table.name}.{column.name}"] = "\n".join(
                        json.dumps(v, ensure_ascii=False, default=str) if not isinstance(v, str) else v
                        for v in values if v is not None)
    return columns
