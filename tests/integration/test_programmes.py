"""A programme is added with its budget posted once: funding → available, audited; a code that is
empty, holds a '/', is taken for the year, or a negative budget is refused naming the field, and
nothing is stored."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from models.audit import AuditEvent
from models.cases import Programme
from models.enums import CaseType
from models.errors import InputError
from models.ledger import Accounts, LedgerLine, LedgerPosting
from services import ledger
from services.db import transaction

YEAR = 2026


def _stored(engine):
    with transaction(engine) as s:
        return tuple(s.execute(select(func.count()).select_from(t)).scalar_one()
                     for t in (Programme, LedgerPosting, LedgerLine, AuditEvent))


def test_a_programme_is_stored_as_given_with_its_budget_posted_from_funding_to_available(engine):
    added = ledger.add_programme("HA-WINTER", "Winter relief", CaseType.mediation, YEAR, 250000, actor="system",
                                 engine=engine)
    accounts = Accounts("HA-WINTER", YEAR)
    with transaction(engine) as s:
        stored = ledger.find_programme(s, "HA-WINTER", YEAR)
        assert (stored.id, stored.code, stored.name, stored.case_type, stored.year, stored.budget_fen) == (
            added.id, "HA-WINTER", "Winter relief", CaseType.mediation, YEAR, 250000)
        [posting] = s.execute(select(LedgerPosting)).scalars().all()
        assert (posting.idempotency_key, posting.kind, posting.programme_id, posting.sealed) == (
            f"budget:HA-WINTER:{YEAR}:initial", "budget", added.id, True)
        lines = s.execute(select(LedgerLine.account, LedgerLine.amount_fen).where(LedgerLine.posting_id == posting.id)
                          .order_by(LedgerLine.amount_fen)).all()
        assert [tuple(line) for line in lines] == [(accounts.funding, -250000), (accounts.available, 250000)]
        [event] = s.execute(select(AuditEvent)).scalars().all()
        assert (event.actor, event.action, event.reason, event.payload) == (
            "system", "programme_added", "", {"programme": "HA-WINTER", "year": YEAR, "budget_fen": 250000})


def test_a_programme_without_a_budget_posts_nothing_and_is_still_audited(engine):
    ledger.add_programme("HA-EMPTY", "Not funded yet", CaseType.hardship, YEAR, 0, engine=engine)
    assert _stored(engine) == (1, 0, 0, 1)


def test_the_same_code_may_come_again_for_another_year_but_not_for_the_same_one(engine):
    ledger.add_programme("HA-LIVING", "Living relief", CaseType.hardship, YEAR, 1000, engine=engine)
    ledger.add_programme("HA-LIVING", "Living relief", CaseType.hardship, YEAR + 1, 1000, engine=engine)
    ledger.add_programme("HA-OTHER", "Other relief", CaseType.hardship, YEAR, 1000, engine=engine)
    before = _stored(engine)
    with pytest.raises(InputError) as refused:
        ledger.add_programme("HA-LIVING", "Again", CaseType.hardship, YEAR, 5000, engine=engine)
    assert (refused.value.field, refused.value.problem_detail.problem) == ("code", f"programme HA-LIVING {YEAR} already exists")
    assert _stored(engine) == before


@pytest.mark.parametrize("code", ["", "   ", "HA/LIVING", "/"])
def test_a_code_that_is_empty_or_holds_a_slash_is_refused_naming_the_field(engine, code):
    with pytest.raises(InputError) as refused:
        ledger.add_programme(code, "Relief", CaseType.hardship, YEAR, 1000, engine=engine)
    assert (refused.value.field, refused.value.problem_detail.problem) == ("code", "is required and may not contain '/'")
    assert _stored(engine) == (0, 0, 0, 0)


def test_a_negative_budget_is_refused_naming_the_field_and_a_budget_of_one_fen_is_posted(engine):
    with pytest.raises(InputError) as refused:
        ledger.add_programme("HA-LIVING", "Relief", CaseType.hardship, YEAR, -1, engine=engine)
    assert (refused.value.field, refused.value.problem_detail.problem) == ("budget", "must not be negative")
    assert _stored(engine) == (0, 0, 0, 0)
    ledger.add_programme("HA-LIVING", "Relief", CaseType.hardship, YEAR, 1, engine=engine)
    assert _stored(engine) == (1, 1, 2, 1)
