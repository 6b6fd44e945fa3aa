"""A person's decision on a case: ``approve`` and ``reject``; each wakes the run that waits for it."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from models.enums import CaseStatus
from models.money import format_fen, parse_yuan
from services import case_queries
from unionaid_cli.shared import CodeOption, claim, handled


@handled
def approve(
    case_number: str,
    staff: Annotated[str, typer.Option("--as", help="approver's staff number")],
    reason: Annotated[str, typer.Option(help="why")],
    amount: Annotated[Optional[str], typer.Option(help="approved amount in yuan (default: the requested amount)")] = None,
    code: CodeOption = None,
) -> None:
    """Approve a case (same rules as the Prefect form); wakes the run that waits for it."""
    from services import approvals
    from services.runs import wake_case

    requested_fen = case_queries.requested_amount(case_number)
    amount_fen = parse_yuan(amount, "amount") if amount else requested_fen
    case = approvals.approve_case(case_number, approver=claim(staff, code), amount_fen=amount_fen, reason=reason)
    if case.status == CaseStatus.awaiting_approval:
        typer.echo(f"{case_number}: approval recorded; a second, different approver must also approve")
    else:
        typer.echo(f"{case_number}: approved for {format_fen(case.approved_fen)}")
    typer.echo(wake_case(case_number))


@handled
def reject(
    case_number: str,
    staff: Annotated[str, typer.Option("--as", help="approver's staff number")],
    reason: Annotated[str, typer.Option(help="why")],
    code: CodeOption = None,
) -> None:
    """Reject a case; wakes the run that waits for it."""
    from services import approvals
    from services.runs import wake_case

    approvals.reject_case(case_number, approver=claim(staff, code), reason=reason)
    typer.echo(f"{case_number}: rejected")
    typer.echo(wake_case(case_number))
