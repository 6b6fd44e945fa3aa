"""Many workers on one case at once: exactly one wins, the others get a clear conflict."""

import threading

import pytest
from sqlalchemy import func, select

from models.audit import AuditEvent
from models.enums import CaseStatus
from models.errors import ConflictError, TransitionRefused
from services.audit import verify_chain
from services.cases import transition_case
from services.db import transaction
from tests import factories
from tests.factories import as_staff

WORKERS = 12


def _race(target, count=WORKERS):
    barrier = threading.Barrier(count)
    outcomes: list[object] = []
    lock = threading.Lock()

    def run(i):
        barrier.wait()
        try:
            result = target(i)
        except Exception as exc:  # noqa: BLE001 - the outcome is what we assert on
            result = exc
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return outcomes


def test_of_many_concurrent_moves_on_one_case_exactly_one_wins(engine, tmp_path):
    factories.world(engine, tmp_path)
    case = factories.hardship_case(engine)
    outcomes = _race(lambda i: transition_case(case.case_number, CaseStatus.verifying, actor="system",
                                               reason=f"worker {i}", expected_version=1, engine=engine))
    winners = [o for o in outcomes if not isinstance(o, Exception)]
    losers = [o for o in outcomes if isinstance(o, Exception)]
    assert len(winners) == 1
    assert all(isinstance(o, (ConflictError, TransitionRefused)) for o in losers), losers
    with transaction(engine) as s:
        moves = s.execute(select(func.count()).select_from(AuditEvent)
                          .where(AuditEvent.case_number == case.case_number, AuditEvent.to_status == "verifying")).scalar_one()
        assert moves == 1
        assert verify_chain(s).intact


def test_concurrent_moves_without_a_version_still_apply_once(engine, tmp_path):
    factories.world(engine, tmp_path)
    case = factories.hardship_case(engine)
    outcomes = _race(lambda i: transition_case(case.case_number, CaseStatus.withdrawn, actor=as_staff("CW1"),
                                               reason=f"worker {i}", engine=engine))
    assert sum(not isinstance(o, Exception) for o in outcomes) == 1


def test_concurrent_intakes_get_distinct_numbers_and_an_unbroken_chain(engine, tmp_path):
    factories.world(engine, tmp_path)
    outcomes = _race(lambda i: factories.hardship_case(engine).case_number, count=8)
    assert all(isinstance(o, str) for o in outcomes), outcomes
    assert len(set(outcomes)) == 8
    with transaction(engine) as s:
        assert verify_chain(s).intact


@pytest.mark.parametrize("workers", [6])
def test_moves_on_different_cases_do_not_block_each_other_into_failure(engine, tmp_path, workers):
    factories.world(engine, tmp_path)
    cases = [factories.hardship_case(engine).case_number for _ in range(workers)]
    outcomes = _race(lambda i: transition_case(cases[i], CaseStatus.verifying, actor="system", reason="go",
                                               engine=engine), count=workers)
    assert not [o for o in outcomes if isinstance(o, Exception)]
