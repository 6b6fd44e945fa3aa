"""The database defends itself, and what the owner of its tables does anyway is caught: tried
as someone at a database prompt who wants a case paid more, a payment forgotten or the ledger
emptied."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from models.cases import Case
from models.errors import PermanentError, RecordDisagrees
from models.ledger import LedgerLine, LedgerPosting
from models.payouts import Payout, PayoutStatus
from services import approvals, ledger, payouts
from services.audit_replay import replay
from services.db import transaction
from tests import factories
from tests.integration.test_cli import cli  # noqa: F401 - the fixture
from tests.integration.test_payouts import approved, provider_for, sandbox, sandbox_url, transfers_for  # noqa: F401


@pytest.fixture
def paid(approved, sandbox):
    engine, number = approved
    [view] = payouts.pay_case(number, provider_for(sandbox), engine=engine)
    assert view.status == PayoutStatus.succeeded
    return engine, number, view.reference


def _case(engine, number) -> Case:
    with transaction(engine) as s:
        return s.execute(select(Case).where(Case.case_number == number)).scalar_one()


def _seq(engine, action: str, from_status: str = "%") -> int:
    """The last event of ``action`` (a payout's own, given its from-status; a case move shares the name)."""
    with engine.connect() as conn:
        return conn.execute(text("SELECT MAX(seq) FROM audit_event WHERE action = :a AND from_status LIKE :f"),
                            {"a": action, "f": from_status}).scalar_one()


def _nothing_sent(url, reference) -> bool:
    sent = transfers_for(url, reference)
    return (sent["transfers"], sent["create_requests"]) == (0, 0)


def _snapshot(engine) -> dict[str, object]:
    with engine.connect() as conn:
        return {table: conn.execute(text(f'SELECT * FROM "{table}" ORDER BY 1')).all()
                for table in ("case", "payout", "obligation", "audit_head", "ledger_posting", "ledger_line")}


EDITS = {
    "an approved amount raised": 'UPDATE "case" SET approved_fen = 1900000',
    "what was paid forgotten": 'UPDATE "case" SET paid_fen = 0',
    "a case deleted": 'DELETE FROM "case"',
    "a payout's amount raised": "UPDATE payout SET amount_fen = 1900000",
    "a payout sent elsewhere": "UPDATE payout SET bank_account_enc = 'another'",
    "a paid payout reopened": "UPDATE payout SET status = 'unknown'",
    "a payout deleted": "DELETE FROM payout",
    "an obligation raised": "UPDATE obligation SET amount_fen = 1900000",
    "an obligation deleted": "DELETE FROM obligation",
    "the audit head moved on": "UPDATE audit_head SET seq = seq + 5",
    "the audit head forged": "UPDATE audit_head SET seq = seq + 1, hash = 'f00d'",
    "the audit head deleted": "DELETE FROM audit_head",
    "a ledger posting deleted": "DELETE FROM ledger_posting",
    "a ledger line deleted": "DELETE FROM ledger_line",
}


@pytest.mark.parametrize("edit", EDITS.values(), ids=EDITS.keys())
def test_rows_that_record_money_refuse_an_edit_at_the_database_prompt(paid, edit):
    engine, number, _ = paid
    before = _snapshot(engine)
    with pytest.raises(DBAPIError), engine.begin() as conn:
        conn.execute(text(edit))
    assert _snapshot(engine) == before


TABLES = ["ledger_line", "ledger_posting", "audit_event", "audit_head", "payout", "obligation", '"case"',
          "reconciliation_run", "reconciliation_exception"]


@pytest.mark.parametrize("table", TABLES)
def test_truncate_is_refused_on_postgresql_and_every_budget_keeps_its_balance(paid, table):
    engine, _, _ = paid
    if engine.dialect.name != "postgresql":
        pytest.skip("TRUNCATE is PostgreSQL's; SQLite has none")
    funds = ledger.funds(engine, factories.YEAR)
    with pytest.raises(DBAPIError, match="refused"), engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {table} CASCADE"))
    assert ledger.funds(engine, factories.YEAR) == funds and any(f.paid_fen for f in funds)


def test_an_amount_raised_by_the_tables_owner_after_approval_is_never_sent(approved, sandbox):
    engine, number = approved
    factories.drop_guards(engine)
    with engine.begin() as conn:  # approved ¥1,500; the row and the obligation now say ¥9,000
        conn.execute(text('UPDATE "case" SET approved_fen = 900000 WHERE case_number = :n'), {"n": number})
        conn.execute(text("UPDATE obligation SET amount_fen = 900000"))
    with pytest.raises(RecordDisagrees) as refused:
        payouts.pay_case(number, provider_for(sandbox), engine=engine)
    assert str(refused.value) == (f"payout {number}-P1 of case {number}: the case row says ¥9,000.00 approved, "
                                  f"the approval's audit event (seq {_seq(engine, 'approve')}) ¥1,500.00; nothing is sent")
    assert _nothing_sent(sandbox, f"{number}-P1")
    with transaction(engine) as s:
        payout = s.execute(select(Payout)).scalar_one()
        assert (payout.status, payout.last_error) == (PayoutStatus.prepared, str(refused.value))


def test_a_payout_row_raised_alone_is_never_sent_either(approved, sandbox):
    engine, number = approved
    [view] = payouts.prepare_payouts(number, engine=engine)
    factories.drop_guards(engine)
    with engine.begin() as conn:
        conn.execute(text("UPDATE payout SET amount_fen = 1900000"))
    with pytest.raises(RecordDisagrees, match=r"its row asks ¥19,000.00, the trail owes ¥1,500.00 for obligation 1"):
        payouts.send_payout(view.id, provider_for(sandbox), engine=engine)
    assert _nothing_sent(sandbox, view.reference)


def test_an_untouched_database_is_explained_row_by_row_by_its_trail(paid):
    engine, _, _ = paid
    with transaction(engine) as s:
        report = replay(s)
    assert report.explained, str(report)
    assert (report.cases, report.payouts) == (1, 1)


def test_deep_verify_names_the_edited_amount_and_the_deleted_posting(paid):
    engine, number, reference = paid
    factories.drop_guards(engine)
    with transaction(engine) as s:
        posting = s.execute(select(LedgerPosting).where(LedgerPosting.idempotency_key == f"pay:{reference}")).scalar_one()
        s.execute(LedgerLine.__table__.delete().where(LedgerLine.posting_id == posting.id))  # type: ignore[attr-defined]
        s.execute(LedgerPosting.__table__.delete().where(LedgerPosting.id == posting.id))  # type: ignore[attr-defined]
        s.execute(Case.__table__.update().where(Case.case_number == number).values(approved_fen=1_900_000))  # type: ignore[attr-defined]
    with transaction(engine) as s:
        report = replay(s)
    assert report.disagreements == [
        f"case {number}: approved_fen is 1900000, the trail approved 150000 (seq {_seq(engine, 'approve')})",
        f"ledger: posting pay:{reference} is missing; the trail says payout {reference} succeeded "
        f"(seq {_seq(engine, 'payout_succeeded', 'submitted')})",
        f"ledger: case {number} shows 0 fen paid, the trail paid 150000",
        f"ledger: case {number} still holds 150000 fen reserved; the trail says it is paid",
    ]


def test_deep_verify_from_the_command_line_fails_and_lists_each_row(cli, tmp_path, sandbox):
    engine = cli.engine
    factories.world(engine, tmp_path)
    number = factories.awaiting_approval(engine).case_number
    approvals.approve_case(number, approver=factories.as_staff("AP1"), amount_fen=150000, reason="ok", engine=engine)
    payouts.pay_case(number, provider_for(sandbox), engine=engine)
    untouched = cli("audit", "verify", "--deep")
    assert untouched.exit_code == 0 and "every row is what the trail says" in untouched.output
    factories.drop_guards(engine)
    with engine.begin() as conn:
        conn.execute(text("UPDATE payout SET status = 'unknown'"))
    result = cli("audit", "verify", "--deep")
    assert result.exit_code == 1
    assert f"payout {number}-P1 of case {number}: status is unknown, the trail says succeeded" in result.output


@pytest.fixture
def app_role(engine):
    """The application's production role: granted by ``unionaid db grant``, owning nothing."""
    if engine.dialect.name != "postgresql":
        pytest.skip("database roles are PostgreSQL's")
    import uuid

    from sqlalchemy import create_engine, event

    from services.db_roles import grant_app_role

    role = f"app_{uuid.uuid4().hex[:10]}"
    with engine.begin() as conn:
        conn.execute(text(f'CREATE ROLE "{role}"'))
    grant_app_role(engine, role)
    as_app = create_engine(engine.url, pool_size=5)

    @event.listens_for(as_app, "connect")
    def _become(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        with dbapi_connection.cursor() as cursor:
            cursor.execute(f'SET ROLE "{role}"')
        dbapi_connection.commit()

    yield as_app
    as_app.dispose()
    with engine.begin() as conn:
        conn.execute(text(f'DROP OWNED BY "{role}"'))
        conn.execute(text(f'DROP ROLE "{role}"'))


def test_the_application_role_approves_and_pays_but_cannot_lift_a_guard_or_rewrite_a_row(engine, tmp_path, app_role,
                                                                                          sandbox):
    from services import approvals

    factories.world(engine, tmp_path)
    number = factories.awaiting_approval(engine).case_number
    approvals.approve_case(number, approver=factories.as_staff("AP1"), amount_fen=150000, reason="ok", engine=app_role)
    [view] = payouts.pay_case(number, provider_for(sandbox), engine=app_role)
    assert view.status == PayoutStatus.succeeded
    with transaction(app_role) as s:
        assert replay(s).explained
    for attempt in ("DROP TRIGGER payout_guard ON payout", "ALTER TABLE payout DISABLE TRIGGER ALL",
                    "UPDATE ledger_line SET amount_fen = 0", "DELETE FROM audit_event", "UPDATE audit_event SET reason = ''",
                    "UPDATE ledger_posting SET kind = 'x'", "TRUNCATE payout", "DELETE FROM payout"):
        with pytest.raises(DBAPIError, match="must be owner|permission denied"), app_role.begin() as conn:
            conn.execute(text(attempt))


class RefusesOne:
    """The sandbox, except that it refuses one reference for good (a 400 on its request)."""

    def __init__(self, real, refused: str):
        self.real, self.refused = real, refused

    def create_transfer(self, reference, *args):
        if reference == self.refused:
            raise PermanentError(f"provider refused {reference}: 400 invalid request")
        return self.real.create_transfer(reference, *args)

    def query_transfer(self, reference):
        return None if reference == self.refused else self.real.query_transfer(reference)


def test_the_resolver_finishes_every_payout_it_can_and_names_each_it_cannot_with_why(engine, tmp_path, sandbox):
    factories.world(engine, tmp_path)
    numbers = [factories.awaiting_approval(engine).case_number for _ in range(3)]
    views = []
    for number in numbers:
        approvals.approve_case(number, approver=factories.as_staff("AP1"), amount_fen=150000, reason="ok", engine=engine)
        views += payouts.prepare_payouts(number, engine=engine)
    refused, edited, fine = (view.reference for view in views)
    factories.drop_guards(engine)
    with engine.begin() as conn:
        conn.execute(text("UPDATE payout SET amount_fen = 160000 WHERE reference = :r"), {"r": edited})
    done = payouts.resolve_open_payouts(RefusesOne(provider_for(sandbox), refused), engine=engine)
    assert [(item.reference, item.status) for item in done] == [
        (refused, "refused by the provider"), (edited, "held: row disagrees with the audit trail"), (fine, "succeeded")]
    assert done[0].why == f"provider refused {refused}: 400 invalid request"
    assert done[1].why.startswith(f"payout {edited} of case {numbers[1]}: its row asks ¥1,600.00")
    assert done[2].why is None and _nothing_sent(sandbox, edited)
