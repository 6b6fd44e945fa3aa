"""Flows under Prefect: readable run names, tags, refusals that say why, masked logs."""

import asyncio
import logging

import pytest
from prefect import flow, get_client, get_run_logger
from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId
from prefect.logging.handlers import APILogHandler

from flows.audit_verify import verify_audit_trail
from flows.case_transition import CaseMove, move_case
from models.enums import CaseStatus
from services.cases import load_case
from services.db import transaction
from services.masking import install_masking
from tests import factories


@pytest.fixture
def world(flow_db, tmp_path):
    factories.world(flow_db, tmp_path)
    factories.enrol(flow_db, "SU1", "CW1", "FI1")
    return flow_db


def _read_run(run_id):
    async def read():
        async with get_client() as client:
            return await client.read_flow_run(run_id)
    return asyncio.run(read())


def test_a_case_moved_by_hand_gets_a_readable_run_name_and_type_and_unit_tags(world):
    case = factories.hardship_case(world)
    state = move_case(CaseMove(case_number=case.case_number, to_status=CaseStatus.withdrawn, staff_number="CW1",
                               one_time_code=factories.fresh_code(world, "CW1"), reason="applicant withdrew"),
                      return_state=True)
    assert state.is_completed()
    run = _read_run(state.state_details.flow_run_id)
    assert run.name == f"hardship-{case.case_number}-withdrawn"
    assert {"hardship", "unit:G001"} <= set(run.tags)
    with transaction(world) as s:
        assert load_case(s, case.case_number).status == CaseStatus.withdrawn


def test_a_refused_move_fails_the_run_with_the_reason(world):
    case = factories.hardship_case(world)
    state = move_case(CaseMove(case_number=case.case_number, to_status=CaseStatus.paid, staff_number="FI1",
                               one_time_code=factories.fresh_code(world, "FI1"), reason="skip ahead"),
                      return_state=True)
    assert state.is_failed()
    assert "cannot move from submitted to paid" in state.message or "cannot move" in str(state.result(raise_on_failure=False))
    with transaction(world) as s:
        assert load_case(s, case.case_number).status == CaseStatus.submitted


def test_the_audit_flow_passes_on_an_intact_trail_and_fails_on_a_tampered_one(world):
    from sqlalchemy import text

    assert verify_audit_trail(return_state=True).is_completed()
    from services.audit_checkpoints import published

    [signed] = published()  # the intact run signed the head, in this database's data directory
    assert signed.seq > 0
    with world.begin() as conn:
        conn.execute(text("DROP TRIGGER audit_event_no_change ON audit_event" if conn.dialect.name == "postgresql"
                          else "DROP TRIGGER audit_event_no_update"))
        conn.execute(text("UPDATE audit_event SET reason = 'x' WHERE seq = 2"))
    state = verify_audit_trail(return_state=True)
    assert state.is_failed()

    async def artifact():
        async with get_client() as client:
            return await client.read_latest_artifacts()
    latest = {a.key: a for a in asyncio.run(artifact())}
    assert "broken at sequence **2**" in latest["audit-chain"].data


def test_personal_identifiers_are_masked_in_logs_stored_by_prefect(prefect_server):
    @flow(name="masking-probe")
    def probe() -> None:
        install_masking()
        get_run_logger().info("applicant 11010519491231002X card 4111111111111111 mobile 13812345678")
        logging.getLogger("unionaid.test").warning("plain logger 11010519491231002X")

    state = probe(return_state=True)
    run_id = state.state_details.flow_run_id
    APILogHandler().flush()  # logs travel to the server in batches; send what is queued

    async def logs():
        async with get_client() as client:
            return await client.read_logs(LogFilter(flow_run_id=LogFilterFlowRunId(any_=[run_id])))
    text = "\n".join(log.message for log in asyncio.run(logs()))
    assert "110105********002X" in text
    assert "11010519491231002X" not in text and "4111111111111111" not in text and "13812345678" not in text
