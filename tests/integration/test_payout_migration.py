"""A database whose cases were paid before payouts were kept per obligation is carried over:
each paid case gets its one obligation (to its applicant, for the approved amount), its payouts
are linked to it under the references they had, and a payout still on its way finishes."""

from alembic import command
from sqlalchemy import select, text

from models.enums import CaseStatus
from models.obligations import Obligation, ObligationState
from models.payouts import Payout, PayoutStatus
from services import approvals, payouts
from services.cases import load_case
from services.db import transaction
from services.migrate import alembic_config
from services.payment_provider import Transfer
from tests import factories
from tests.factories import as_staff
from tests.integration.test_payout_resolution import RequestLostOnTheWay


def _migrate(engine, target):
    config = alembic_config()
    with engine.connect() as connection:
        config.attributes["connection"] = connection
        (command.upgrade if target == "head" else command.downgrade)(config, target)


def _approved(engine, amount_fen):
    case = factories.awaiting_approval(engine)
    approvals.approve_case(case.case_number, approver=as_staff("AP1"), amount_fen=amount_fen, reason="ok", engine=engine)
    return case.case_number


def _answer(engine, view, status):
    return payouts.apply_provider_view(view.id, Transfer(view.reference, f"PRV-{view.id}", status, view.amount_fen,
                                                         "account closed" if status == "failed" else None, None),
                                       engine=engine)


def test_cases_paid_before_obligations_get_theirs_and_keep_their_payouts_and_references(engine, tmp_path):
    factories.world(engine, tmp_path)
    paid, retried = _approved(engine, 150_000), _approved(engine, 99_999)
    [view] = payouts.pay_case(paid, RequestLostOnTheWay(), engine=engine)
    _answer(engine, view, "succeeded")
    [refused] = payouts.pay_case(retried, RequestLostOnTheWay(), engine=engine)
    _answer(engine, refused, "failed")
    [on_its_way] = payouts.pay_case(retried, RequestLostOnTheWay(), engine=engine)  # P2, outcome unknown

    _migrate(engine, "0009")
    with engine.begin() as connection:  # as it was then: no obligations behind any case
        connection.execute(text("DELETE FROM obligation"))
    _migrate(engine, "head")

    with transaction(engine) as s:
        owed = {load_case(s, n).case_number: o for n in (paid, retried)
                for o in s.execute(select(Obligation).where(Obligation.case_id == load_case(s, n).id)).scalars()}
        links = {p.reference: (p.obligation_id, p.live_obligation_id)
                 for p in s.execute(select(Payout).order_by(Payout.id)).scalars()}
    assert [(o.seq, o.party_ref, o.purpose, o.amount_fen, o.settled_fen, o.state) for o in owed.values()] == [
        (1, "M0001", "living_relief", 150_000, 150_000, ObligationState.settled),
        (1, "M0001", "living_relief", 99_999, 0, ObligationState.open)]
    assert links == {f"{paid}-P1": (owed[paid].id, owed[paid].id), f"{retried}-P1": (owed[retried].id, None),
                     f"{retried}-P2": (owed[retried].id, owed[retried].id)}

    assert _answer(engine, on_its_way, "succeeded") == PayoutStatus.succeeded
    with transaction(engine) as s:
        case = load_case(s, retried)
        assert (case.status, case.paid_fen) == (CaseStatus.paid, 99_999)
        assert s.get(Obligation, owed[retried].id).state == ObligationState.settled
