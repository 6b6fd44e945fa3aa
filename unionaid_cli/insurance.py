"""Mutual insurance at the union's desk: ``insurance enrol|coverage|show|documents|reject``. Claims
are taken with ``unionaid intake insurance FILE`` (or the Prefect form ``insurance-intake``); a
reviewer approves with ``unionaid approve`` or the run's form."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from models.money import format_fen
from unionaid_cli.shared import CodeOption, claim, console, handled

insurance_app = typer.Typer(help="Mutual insurance (职工互助保障): enrolment, coverage, claims.", no_args_is_help=True)

StaffOption = Annotated[str, typer.Option("--as", help="your staff number")]


@insurance_app.command("enrol")
@handled
def enrol(
    file: Annotated[Path, typer.Argument(help="CSV or JSON: member_number, product, shares, cover_from")],
    staff: StaffOption,
    code: CodeOption = None,
) -> None:
    """Enrol a union's members from its list; each new enrolment pays its contribution into the pool."""
    from casetypes.insurance import enrolment

    report = enrolment.import_enrolments(file, actor=claim(staff, code))
    if report.problems:
        table = Table("row", "field", "problem", title="rejected rows")
        for p in report.problems:
            table.add_row(str(p.row), p.field, p.problem)
        console.print(table)
    typer.echo(f"{report.rows} rows: {report.created} enrolled, {report.unchanged} unchanged, "
               f"{report.rejected_rows} rejected")
    if report.problems:
        raise typer.Exit(1)


@insurance_app.command("coverage")
@handled
def coverage(year: Annotated[Optional[int], typer.Option(help="the year (default: this year)")] = None) -> None:
    """People covered per product in a year, against the plan's targets, and the contributions paid in."""
    from casetypes.insurance import enrolment
    from casetypes.insurance.service import today

    year = year or today().year
    table = Table("product", "people covered", "target", "contributions", title=f"coverage {year}")
    for row in enrolment.coverage(year):
        target = str(row.target) if row.target_known else "unknown"
        table.add_row(f"{row.product} {row.name}", str(row.people), target, format_fen(row.contributions_fen))
    console.print(table)


@insurance_app.command("show")
@handled
def show(case_number: str, staff: StaffOption, code: CodeOption = None) -> None:
    """A claim: its amounts (claimed, calculated, approved), the calculation's explanation, its review."""
    from casetypes.insurance import service

    view = service.claim_view(case_number.strip().upper(), actor=claim(staff, code))
    typer.echo(f"{view.case_number}: {view.product} (terms {view.product_version or '-'}), event "
               f"{view.event_date.isoformat()}, {view.status}")
    typer.echo(f"claimed {format_fen(view.claimed_fen)}; calculated {format_fen(view.calculated_fen)}; "
               f"approved {format_fen(view.approved_fen)}")
    for line in view.explanation:
        typer.echo(f"  {line}")
    typer.echo(f"review: {view.review or '-'} (draw {view.review_draw}, seed {view.review_seed})")
    if view.rejection_code:
        typer.echo(f"rejected: {view.rejection_code}")
    typer.echo("documents: " + (", ".join(view.documents) or "none"))
    if view.diagnosis is not None:
        typer.echo(f"diagnosis: {view.diagnosis}")


@insurance_app.command("documents")
@handled
def documents(case_number: str, kinds: Annotated[list[str], typer.Argument(help="document kinds received")],
              staff: StaffOption, code: CodeOption = None) -> None:
    """Record documents received for a claim; a claim waiting for them is checked again."""
    from casetypes.insurance import service
    from services.runs import start_case_run

    status = service.add_documents(case_number.strip().upper(), kinds, actor=claim(staff, code))
    typer.echo(f"{case_number}: documents recorded; {status.value}")
    if status.value == "verifying":
        typer.echo(start_case_run(case_number.strip().upper()))


@insurance_app.command("reject")
@handled
def reject(case_number: str, rejection_code: Annotated[str, typer.Option("--code-reason", help="a rejection code")],
           reason: Annotated[str, typer.Option(help="the words the member gets")], staff: StaffOption,
           code: CodeOption = None) -> None:
    """Reject a claim under review with a reason code of the product file."""
    from casetypes.insurance import service
    from services.runs import wake_case

    service.reject_claim(case_number.strip().upper(), code=rejection_code, reason=reason, approver=claim(staff, code))
    typer.echo(f"{case_number}: rejected ({rejection_code})")
    typer.echo(wake_case(case_number.strip().upper()))




@insurance_app.command("batch")
@handled
def batch(
    file: Annotated[Path, typer.Argument(help="a CSV of claims (e.g. a hospital's monthly settlement list)")],
    staff: StaffOption,
    code: CodeOption = None,
    run: Annotated[bool, typer.Option(help="start the insurance-batch run in Prefect")] = True,
) -> None:
    """Register a claims batch, submitted by you; its run takes it in chunks (see its artifacts)."""
    from casetypes.insurance import batch as batches
    from services.runs import start_deployment

    info = batches.register_batch(file, claim(staff, code))
    typer.echo(f"{info.reference}: {info.rows} rows" + ("" if info.new else " (registered before: the same batch)"))
    if run:
        typer.echo(start_deployment("insurance-batch/bulk", {"batch_reference": info.reference}, info.reference))


@insurance_app.command("batch-status")
@handled
def batch_status(reference: str) -> None:
    """Where a claims batch stands: its claims by status and what was approved."""
    from casetypes.insurance import batch as batches

    view = batches.batch_view(reference)
    typer.echo(f"{view.reference}: {view.rows} rows, {view.claims} claims taken, approved {format_fen(view.approved_fen)}")
    for status, count in view.by_status.items():
        typer.echo(f"  {status}: {count}")


@insurance_app.command("fund")
@handled
def fund(product: str, amount: Annotated[str, typer.Argument(help="yuan, e.g. 50000")],
         reference: Annotated[str, typer.Option(help="the voucher or transfer number")], staff: StaffOption,
         code: CodeOption = None, year: Annotated[Optional[int], typer.Option(help="the pool's year")] = None) -> None:
    """Put the federation's money into a product's pool (finance or a supervisor), once per reference."""
    from casetypes.insurance import enrolment
    from casetypes.insurance.service import today
    from models.money import parse_yuan

    left = enrolment.fund_pool(product.strip(), year or today().year, parse_yuan(amount, "amount"),
                               reference=reference, actor=claim(staff, code))
    typer.echo(f"pool {enrolment.pool_code(product.strip())}: {format_fen(left)} available")
