"""Mediation's table of moves and its clocks (LDMAL arts. 12-16, the enterprise mediation rules).

intake → verification (the checks) → acceptance by the mediation body within 3 working days
(``awaiting_approval`` is *awaiting acceptance* here), or a written refusal → sessions
(``in_mediation``) → an effective agreement, a failure, or the 15-day clock running out →
referral to arbitration. A case never moves by itself into acceptance: a mediator or an approver
of the body accepts, and only when the checks passed (guard ``mediation_checks_passed``); an
agreement is reached only when it is effective (guard ``agreement_effective``).
"""

from __future__ import annotations

from models.clocks import Clock, CountedIn
from models.enums import CaseStatus as S
from models.enums import CaseType, Role
from models.transitions import Transition, move_rule, unique_moves

_CW, _AP, _MD, _SU = Role.caseworker, Role.approver, Role.mediator, Role.supervisor

MOVES: tuple[Transition, ...] = unique_moves((
    move_rule(S.submitted, S.verifying, "start_verification", _CW, system=True),
    move_rule(S.verifying, S.needs_information, "request_information", _CW, system=True),
    move_rule(S.needs_information, S.verifying, "information_received", _CW, _MD, system=True),
    move_rule(S.verifying, S.awaiting_approval, "checks_done", system=True),  # the checks, never by hand
    move_rule(S.awaiting_approval, S.accepted, "accept_mediation", _MD, _AP, guards=("mediation_checks_passed",)),
    move_rule(S.awaiting_approval, S.rejected, "decline_mediation", _MD, _AP),
    move_rule(S.accepted, S.in_mediation, "open_session", _MD),
    move_rule(S.accepted, S.mediation_failed, "record_failure", _MD),  # a party will not mediate after all
    move_rule(S.in_mediation, S.agreement_reached, "record_agreement", _MD, guards=("agreement_effective",)),
    move_rule(S.in_mediation, S.mediation_failed, "record_failure", _MD),
    move_rule(S.accepted, S.referred_to_arbitration, "mediation_deadline_passed", system=True),  # the clock
    move_rule(S.in_mediation, S.referred_to_arbitration, "mediation_deadline_passed", system=True),
    move_rule(S.mediation_failed, S.referred_to_arbitration, "refer_to_arbitration", _MD, system=True),
    move_rule(S.agreement_reached, S.closed, "close", _MD, _SU, system=True),
    move_rule(S.referred_to_arbitration, S.closed, "close", _MD, _SU, system=True),
    move_rule(S.rejected, S.closed, "close", _CW, _MD, _SU, system=True),
    *(move_rule(frm, S.withdrawn, "withdraw", _CW, _MD, _SU)  # the worker withdraws the application
      for frm in (S.submitted, S.verifying, S.needs_information, S.awaiting_approval, S.accepted, S.in_mediation)),
))

_ENDED = frozenset({S.rejected, S.withdrawn, S.closed})

CLOCKS: tuple[Clock, ...] = (
    # The enterprise mediation rules: accept, or refuse in writing, within 3 working days of
    # receiving the application. Only reported when it runs out (the deadlines artifact, by
    # body): the case is never accepted by the clock.
    Clock(CaseType.mediation, "acceptance", "accept or refuse the application", 3, CountedIn.working_days,
          frozenset({S.submitted}), frozenset({S.accepted}) | _ENDED),
    # LDMAL art. 14: no agreement within 15 days of receiving the application: either party may
    # go to arbitration. The engine refers the case. An agreed extension moves its last day.
    Clock(CaseType.mediation, "mediation", "reach an agreement", 15, CountedIn.days,
          frozenset({S.submitted}), frozenset({S.agreement_reached, S.mediation_failed, S.referred_to_arbitration})
          | _ENDED, breach_to=S.referred_to_arbitration),
)
