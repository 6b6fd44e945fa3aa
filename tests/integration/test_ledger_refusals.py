"""Every posting balances: our code refuses an unbalanced one before writing anything, and the
database refuses to seal one written straight to the tables (the migration's triggers), on
SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DatabaseError

from models.ledger import Accounts, LedgerLine, LedgerPosting, UnbalancedPosting
from services import ledger
from services.db import transaction
from tests import factories

A = Accounts("HA-LIVING", factories.YEAR)


def books(engine) -> tuple[int, int, dict[str, int]]:
    """Postings, lines, and the balance of every account of the programme."""
    with transaction(engine) as s:
        return (s.execute(select(func.count()).select_from(LedgerPosting)).scalar_one(),
                s.execute(select(func.count()).select_from(LedgerLine)).scalar_one(),
                {name: ledger.balance(s, name) for name in (A.funding, A.available, A.reserved, A.paid)})


@pytest.fixture
def programme(engine):
    factories.organisation(engine)  # HA-LIVING with its budget posted: funding -> available
    with transaction(engine) as s:
        return ledger.find_programme(s, "HA-LIVING", factories.YEAR)


@pytest.mark.parametrize("lines", [
    [(A.available, -150000), (A.reserved, 149999)],
    [(A.available, -150000)],
    [(A.available, -150000), (A.reserved, 150000), (A.paid, 0)],
], ids=["unbalanced", "one line", "a zero line"])
def test_post_refuses_a_posting_that_does_not_balance_before_writing_anything(engine, programme, lines):
    before = books(engine)
    with transaction(engine) as s:  # the caller's transaction goes on and commits: nothing may be in it
        with pytest.raises(UnbalancedPosting):
            ledger.post(s, key="reserve:test", kind="reserve", programme=programme, lines=lines)
    assert books(engine) == before
    with transaction(engine) as s:
        assert s.execute(select(LedgerPosting).where(LedgerPosting.idempotency_key == "reserve:test")).first() is None


def test_post_writes_a_balanced_posting_sealed(engine, programme):
    with transaction(engine) as s:
        ledger.post(s, key="reserve:test", kind="reserve", programme=programme,
                    lines=[(A.available, -150000), (A.reserved, 150000)])
    postings, _, balances = books(engine)
    assert balances[A.available] == factories.BUDGET_FEN - 150000 and balances[A.reserved] == 150000
    with transaction(engine) as s:
        assert s.execute(select(LedgerPosting.sealed).where(LedgerPosting.idempotency_key == "reserve:test")
                         ).scalar_one() is True


def test_a_posting_made_again_under_its_key_is_the_first_one_and_moves_nothing_more(engine, programme):
    with transaction(engine) as s:
        first = ledger.post(s, key="reserve:again", kind="reserve", programme=programme,
                            lines=[(A.available, -150000), (A.reserved, 150000)]).id
    before = books(engine)
    assert before[2][A.reserved] == 150000
    with transaction(engine) as s:  # a retry, even one that names other amounts, finds the first posting
        again = ledger.post(s, key="reserve:again", kind="reserve", programme=programme,
                            lines=[(A.available, -90000), (A.reserved, 90000)])
        assert again.id == first
    assert books(engine) == before


def _raw_posting(conn, programme_id: int, amounts: list[int]) -> int:
    """A posting written straight to the tables, past our code, then sealed."""
    posting_id = conn.execute(text(
        "INSERT INTO ledger_posting (idempotency_key, kind, programme_id, sealed, posted_at) "
        "VALUES ('raw:1', 'raw', :programme, false, CURRENT_TIMESTAMP) RETURNING id"), {"programme": programme_id}
    ).scalar_one()
    for account, amount in zip((A.available, A.reserved, A.paid), amounts, strict=False):
        conn.execute(text("INSERT INTO ledger_line (posting_id, account, amount_fen) VALUES (:p, :a, :n)"),
                     {"p": posting_id, "a": account, "n": amount})
    conn.execute(text("UPDATE ledger_posting SET sealed = true WHERE id = :p"), {"p": posting_id})
    return posting_id


@pytest.mark.parametrize("amounts", [[-150000, 149999], [150000], [-150000, 150000, 1]])
def test_the_database_refuses_to_seal_an_unbalanced_posting_written_straight_to_the_tables(engine, programme, amounts):
    before = books(engine)
    with pytest.raises(DatabaseError, match="does not balance"):
        with engine.begin() as conn:
            _raw_posting(conn, programme.id, amounts)
    assert books(engine) == before


def test_the_database_seals_a_balanced_posting_written_straight_to_the_tables(engine, programme):
    with engine.begin() as conn:
        _raw_posting(conn, programme.id, [-150000, 150000])
    assert books(engine)[2][A.reserved] == 150000


def test_a_sealed_posting_takes_no_further_line_and_stays_sealed(engine, programme):
    before = books(engine)
    with transaction(engine) as s:
        budget = s.execute(select(LedgerPosting.id).where(LedgerPosting.kind == "budget")).scalar_one()
    with pytest.raises(DatabaseError, match="sealed"):
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO ledger_line (posting_id, account, amount_fen) VALUES (:p, :a, 1)"),
                         {"p": budget, "a": A.available})
    with pytest.raises(DatabaseError, match="final"):
        with engine.begin() as conn:
            conn.execute(text("UPDATE ledger_posting SET sealed = false WHERE id = :p"), {"p": budget})
    assert books(engine) == before


def test_an_unbalanced_posting_left_unsealed_moves_no_balance(engine, programme):
    """Past every check, a posting committed without its seal: balances count sealed postings only."""
    _, _, balances = books(engine)
    with engine.begin() as conn:
        posting_id = conn.execute(text(
            "INSERT INTO ledger_posting (idempotency_key, kind, programme_id, sealed, posted_at) "
            "VALUES ('raw:open', 'raw', :programme, false, CURRENT_TIMESTAMP) RETURNING id"),
            {"programme": programme.id}).scalar_one()
        conn.execute(text("INSERT INTO ledger_line (posting_id, account, amount_fen) VALUES (:p, :a, 99)"),
                     {"p": posting_id, "a": A.reserved})
    assert books(engine)[2] == balances
    assert ledger.funds(engine=engine)[0].reserved_fen == 0


def test_a_programme_added_without_naming_who_is_audited_as_the_system_with_its_code_year_and_budget(engine):
    from models.audit import AuditEvent
    from models.enums import CaseType

    factories.organisation(engine)
    ledger.add_programme("HA-WINTER", "Winter relief", CaseType.hardship, factories.YEAR, 250000, engine=engine)
    with transaction(engine) as s:
        [event] = s.execute(select(AuditEvent).where(AuditEvent.action == "programme_added",
                                                     AuditEvent.payload["programme"].as_string() == "HA-WINTER")
                            ).scalars().all()
        assert (event.actor, event.payload) == ("system", {"programme": "HA-WINTER", "year": factories.YEAR,
                                                           "budget_fen": 250000})
