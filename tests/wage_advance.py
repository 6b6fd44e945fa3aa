"""A wage advance (垫付工资), as far as its money goes: a test-only payment plan that pays the
advance in two parts and is owed it back by the employer, on the engine's shared moves.

It is what mediation's plan will look like (an advance out to the worker, the employer's
repayment in), kept to the parts the payment tests need: the case type, its moves and its
payment plan, registered on import. The chaos test's worker processes import it too, so they
know the type of the cases they pay.

The plan, from the decided case: half of the approved amount (rounded down to the fen) to the
applicant, the rest to the applicant as a second payment, and the whole amount owed back by the
employer ``EMPLOYER`` by the end of the year.
"""

from __future__ import annotations

from datetime import date

from sqlmodel import Session

from models.cases import Case
from models.enums import CaseType
from models.members import Member
from models.obligations import Direction, Party
from models.transitions import SHARED, register_moves
from services.obligations import Planned, register_plan
from tests.factories import YEAR

WAGE_ADVANCE = CaseType.register("wage_advance", "WA")
EMPLOYER = "EMP-0042"
REPAY_BY = date(YEAR, 12, 31)


def plan(session: Session, case: Case) -> list[Planned]:
    member = session.get(Member, case.applicant_member_id)
    assert member is not None and case.approved_fen
    first = case.approved_fen // 2
    return [Planned(Direction.outgoing, Party.member, member.member_number, "wage advance, first part", first),
            Planned(Direction.outgoing, Party.member, member.member_number, "wage advance, second part",
                    case.approved_fen - first),
            Planned(Direction.incoming, Party.employer, EMPLOYER, "wage advance repaid", case.approved_fen, REPAY_BY)]


register_moves(WAGE_ADVANCE, SHARED)
register_plan(WAGE_ADVANCE, plan)
