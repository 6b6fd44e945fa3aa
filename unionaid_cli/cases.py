"""Cases of every type: ``cases list``, ``cases show`` and ``cases documents``."""

from __future__ import annotations

import json
from typing import Annotated, Any, Optional

import typer
from rich.table import Table

from models.enums import CaseStatus, CaseType
from models.money import format_fen
from models.time import as_utc
from services import case_queries
from services.case_queries import CaseLine
from unionaid_cli.audit import print_history
from unionaid_cli.shared import CodeOption, case_type_arg, claim, console, handled

cases_app = typer.Typer(help="Cases of every type.", no_args_is_help=True)


def _case_dict(case: CaseLine) -> dict[str, Any]:
    return {
        "case_number": case.case_number, "type": case.case_type.value, "category": case.category,
        "status": case.status.value, "unit": case.unit, "applicant": case.applicant,
        "requested_fen": case.requested_fen, "approved_fen": case.approved_fen, "paid_fen": case.paid_fen,
        "submitted_by": case.submitted_by, "submitted_at": as_utc(case.submitted_at).isoformat(),
        "updated_at": as_utc(case.updated_at).isoformat(), "version": case.version,
    }


@cases_app.command("list")
@handled
def cases_list(
    case_type: Annotated[Optional[CaseType], typer.Option("--type", parser=case_type_arg, metavar="TYPE", help="hardship, mediation or insurance")] = None,
    status: Annotated[Optional[CaseStatus], typer.Option(help="only cases in this status")] = None,
    unit: Annotated[Optional[str], typer.Option(help="unit code")] = None,
    limit: int = 100,
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
) -> None:
    """List cases, newest first."""
    rows = [_case_dict(c) for c in case_queries.list_cases(case_type=case_type, status=status, unit_code=unit,
                                                           limit=limit)]
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    table = Table("case", "type", "category", "status", "unit", "requested", "approved", "paid")
    for r in rows:
        table.add_row(r["case_number"], r["type"], r["category"], r["status"], r["unit"], format_fen(r["requested_fen"]),
                      format_fen(r["approved_fen"]), format_fen(r["paid_fen"]))
    console.print(table)
    typer.echo(f"{len(rows)} case(s)")


@cases_app.command("show")
@handled
def cases_show(
    case_number: str,
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
) -> None:
    """One case with its history."""
    detail = case_queries.case_detail(case_number)
    data = _case_dict(detail.case)
    data["applicant_name"] = detail.applicant_name
    data["applicant_resident_id"] = detail.applicant_resident_id_masked
    history = detail.history
    data["history"] = [{"seq": e.seq, "at": as_utc(e.occurred_at).isoformat(), "actor": e.actor, "action": e.action,
                        "from": e.from_status, "to": e.to_status, "reason": e.reason} for e in history]
    if as_json:
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    for key in ("case_number", "type", "category", "status", "unit", "applicant", "applicant_name",
                "applicant_resident_id", "submitted_by"):
        console.print(f"[bold]{key.replace('_', ' ')}[/bold]: {data[key]}")
    for key in ("requested_fen", "approved_fen", "paid_fen"):
        console.print(f"[bold]{key.replace('_fen', '')}[/bold]: {format_fen(data[key])}")
    print_history(history)


@cases_app.command("text")
@handled
def cases_text(
    case_number: str,
    staff: Annotated[str, typer.Option("--as", help="your staff number (caseworker, approver or supervisor)")],
    otp: CodeOption = None,
) -> None:
    """The case's free text as typed (the application's reason, the oral record, each decision's
    reason): stored encrypted, shown to you, and your reading recorded in the audit trail."""
    from services.case_files import case_text

    text = case_text(case_number, actor=claim(staff, otp))
    typer.echo(f"reason: {text.reason}")  # as typed: plain text, never read as markup
    if text.oral_record:
        typer.echo(f"oral record: {text.oral_record}")
    for decision, reason in text.decisions:
        typer.echo(f"{decision}: {reason}")
    if text.objections:
        typer.echo(f"objections to the public notice: {text.objections}")
    for student in text.students or []:
        typer.echo(f"student: {student}")


@cases_app.command("object")
@handled
def cases_object(
    case_number: str,
    staff: Annotated[str, typer.Option("--as", help="staff number of who writes the objection down")],
    text: Annotated[str, typer.Option(help="what the objection says (stored encrypted)")],
    code: CodeOption = None,
) -> None:
    """Record an objection to a case's own public notice (公示) while it runs; the approver sees it."""
    from services.notices import record_case_objection

    notice = record_case_objection(case_number, text=text, recorded_by=claim(staff, code))
    typer.echo(f"{case_number}: objection recorded ({notice.objections} so far); the notice runs until "
               f"{notice.ends_on.isoformat()}")


@cases_app.command("documents")
@handled
def cases_documents(
    case_number: str,
    kinds: Annotated[list[str], typer.Argument(help="document kinds received, e.g. income_proof diagnosis")],
    staff: Annotated[str, typer.Option("--as", help="staff number")],
    code: CodeOption = None,
) -> None:
    """Record documents received; a case waiting for information continues."""
    from services.intake import add_documents
    from services.runs import wake_case

    status = add_documents(case_number, kinds, actor=claim(staff, code))
    typer.echo(f"{case_number}: {status.value}")
    if status == CaseStatus.verifying:
        typer.echo(wake_case(case_number))
