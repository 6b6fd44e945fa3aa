"""``unionaid``: the staff and operator command line (typer + rich)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Annotated, Optional, cast

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import select
from sqlmodel import col

from models.audit import AuditEvent
from models.cases import Case
from models.enums import CaseStatus, CaseType, UnitLevel
from models.errors import FieldProblem, InputError, NotFound, PermanentError
from models.members import Member
from models.money import fen_to_yuan, format_fen, parse_yuan
from models.org import Staff, Unit
from models.time import as_utc
from services import audit as audit_service
from services import member_import, migrate, org
from services.db import get_engine, transaction
from services.masking import install_masking
from services.settings import get_settings
from unionaid_cli.errors import fail, handled

app = typer.Typer(help="unionaid: casework for hardship aid, dispute mediation and mutual-insurance claims.",
                  no_args_is_help=True, pretty_exceptions_enable=False, add_completion=False)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
units_app = typer.Typer(help="Union units (grassroots unions and the district federation).", no_args_is_help=True)
staff_app = typer.Typer(help="Staff members, their roles and approval limits.", no_args_is_help=True)
members_app = typer.Typer(help="Union members.", no_args_is_help=True)
cases_app = typer.Typer(help="Cases of every type.", no_args_is_help=True)
audit_app = typer.Typer(help="The hash-chained audit trail.", no_args_is_help=True)
programmes_app = typer.Typer(help="Assistance programmes and their yearly budgets.", no_args_is_help=True)
payouts_app = typer.Typer(help="Payouts to members through the payment provider.", no_args_is_help=True)
for sub, name in ((db_app, "db"), (units_app, "units"), (staff_app, "staff"), (members_app, "members"),
                  (cases_app, "cases"), (audit_app, "audit"), (programmes_app, "programmes"), (payouts_app, "payouts")):
    app.add_typer(sub, name=name)

console = Console()


def _fail_on_problems(problems: list[FieldProblem], what: str) -> None:
    """List a file's problems by row and field (never their values), then exit 1."""
    if problems:
        for problem in problems:
            typer.echo(f"  {problem}", err=True)
        fail(f"{len(problems)} {what}")


@app.callback()
def _startup() -> None:
    install_masking()


def _local(dt: datetime | None) -> str:
    return as_utc(dt).astimezone(get_settings().zone).strftime("%Y-%m-%d %H:%M") if dt else "-"


@app.command()
@handled
def up(
    no_demo: Annotated[bool, typer.Option("--no-demo", help="do not seed demo data into an empty database")] = False,
) -> None:
    """Start everything locally: database, Prefect server and UI, served deployments, sandboxes."""
    from services.stack import run_stack

    raise typer.Exit(run_stack(seed_demo=not no_demo))


@db_app.command("upgrade")
@handled
def db_upgrade() -> None:
    """Bring the database schema up to date (Alembic)."""
    migrate.upgrade(get_engine())
    typer.echo(f"database schema at {migrate.current_revision(get_engine())}")


@units_app.command("add")
@handled
def units_add(
    code: str,
    name: str,
    level: Annotated[str, typer.Option(help="grassroots or district")] = UnitLevel.grassroots.value,
    parent: Annotated[Optional[str], typer.Option(help="code of the parent unit")] = None,
) -> None:
    """Add a union unit."""
    try:
        unit_level = UnitLevel(level.strip().lower())
    except ValueError:  # one `error:` line naming the field, like every other bad input
        raise InputError("level", "must be grassroots or district") from None
    unit = org.add_unit(code, name, unit_level, parent)
    typer.echo(f"unit {unit.code} added")


@units_app.command("list")
@handled
def units_list() -> None:
    """List units."""
    with transaction() as session:
        table = Table("code", "name", "level")
        for unit in session.execute(select(Unit).order_by(Unit.code)).scalars():
            table.add_row(unit.code, unit.name, unit.level.value)
    console.print(table)


@staff_app.command("add")
@handled
def staff_add(
    staff_number: str,
    name: str,
    unit: Annotated[str, typer.Option(help="unit code")],
    roles: Annotated[str, typer.Option(help="comma-separated: caseworker, approver, mediator, finance, supervisor")],
    limit: Annotated[str, typer.Option(help="approval limit in yuan (approvers)")] = "0",
) -> None:
    """Add a staff member."""
    staff = org.add_staff(staff_number, name, unit, org.parse_roles(roles), parse_yuan(limit, "limit"))
    typer.echo(f"staff member {staff.staff_number} added ({staff.roles})")


@staff_app.command("list")
@handled
def staff_list(as_json: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False) -> None:
    """List staff members."""
    rows = org.list_staff()
    if as_json:
        typer.echo(json.dumps([{"staff_number": s.staff_number, "name": s.name, "unit": u.code,
                                "roles": s.roles.split(","), "approval_limit_fen": s.approval_limit_fen,
                                "active": s.active} for s, u in rows], ensure_ascii=False, indent=2))
        return
    table = Table("staff no.", "name", "unit", "roles", "approval limit", "active")
    for s, u in rows:
        table.add_row(s.staff_number, s.name, u.code, s.roles, format_fen(s.approval_limit_fen), "yes" if s.active else "no")
    console.print(table)


@members_app.command("import")
@handled
def members_import(
    file: Annotated[Path, typer.Argument(help="CSV or JSON file of members")],
    actor: Annotated[str, typer.Option("--as", help="staff number of who imports")] = "system",
) -> None:
    """Import members: valid rows are stored, invalid rows listed by row and field."""
    report = member_import.import_members(file, actor=actor)
    if report.ignored_columns:
        typer.echo(f"note: ignored unknown column(s): {', '.join(report.ignored_columns)}")
    if report.problems:
        table = Table("row", "field", "problem", title="rejected rows")
        for p in report.problems:
            table.add_row(str(p.row), p.field, p.problem)
        console.print(table)
    typer.echo(report.summary())
    if report.problems:
        raise typer.Exit(1)


@members_app.command("list")
@handled
def members_list(limit: int = 50) -> None:
    """List members (resident IDs masked)."""
    with transaction() as session:
        table = Table("member no.", "name", "resident ID", "unit", "status")
        rows = session.execute(select(Member, Unit).join(Unit, col(Unit.id) == Member.unit_id)
                               .order_by(Member.member_number).limit(limit)).all()
        for m, u in rows:
            table.add_row(m.member_number, m.name, m.resident_id_masked, u.code, m.status.value)
    console.print(table)


def _case_dict(case: Case, unit: Unit, applicant: Member, submitter: Staff) -> dict:
    return {
        "case_number": case.case_number, "type": case.case_type.value, "category": case.category,
        "status": case.status.value, "unit": unit.code, "applicant": applicant.member_number,
        "requested_fen": case.requested_fen, "approved_fen": case.approved_fen, "paid_fen": case.paid_fen,
        "submitted_by": submitter.staff_number, "submitted_at": as_utc(case.submitted_at).isoformat(),
        "updated_at": as_utc(case.updated_at).isoformat(), "version": case.version,
    }


@cases_app.command("list")
@handled
def cases_list(
    case_type: Annotated[Optional[CaseType], typer.Option("--type", help="hardship, mediation or insurance")] = None,
    status: Annotated[Optional[CaseStatus], typer.Option(help="only cases in this status")] = None,
    unit: Annotated[Optional[str], typer.Option(help="unit code")] = None,
    limit: int = 100,
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
) -> None:
    """List cases, newest first."""
    with transaction() as session:
        query = (select(Case, Unit, Member, Staff).join(Unit, col(Unit.id) == Case.unit_id)
                 .join(Member, col(Member.id) == Case.applicant_member_id)
                 .join(Staff, col(Staff.id) == Case.submitted_by_staff_id))
        if case_type:
            query = query.where(col(Case.case_type) == case_type)
        if status:
            query = query.where(col(Case.status) == status)
        if unit:
            query = query.where(col(Unit.code) == unit)
        rows = [_case_dict(*r) for r in session.execute(query.order_by(col(Case.id).desc()).limit(limit)).all()]
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
    with transaction() as session:
        row = session.execute(
            select(Case, Unit, Member, Staff).join(Unit, col(Unit.id) == Case.unit_id)
            .join(Member, col(Member.id) == Case.applicant_member_id)
            .join(Staff, col(Staff.id) == Case.submitted_by_staff_id)
            .where(col(Case.case_number) == case_number)).first()
        if row is None:
            raise NotFound(f"case {case_number} does not exist")
        data = _case_dict(*row)
        data["applicant_name"] = row[2].name
        data["applicant_resident_id"] = row[2].resident_id_masked
        history = audit_service.case_history(session, case_number)
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
    _print_history(history)


def _print_history(history: list[AuditEvent]) -> None:
    table = Table("seq", "time", "actor", "action", "from", "to", "reason")
    for e in history:
        table.add_row(str(e.seq), _local(e.occurred_at), e.actor, e.action, e.from_status or "", e.to_status or "", e.reason)
    console.print(table)


@audit_app.command("verify")
@handled
def audit_verify() -> None:
    """Walk the whole audit chain; exit 1 when it is broken."""
    with transaction() as session:
        report = audit_service.verify_chain(session)
    if report.intact:
        typer.echo(str(report))
    else:
        fail(str(report))


@audit_app.command("show")
@handled
def audit_show(case_number: str) -> None:
    """A case's audit history."""
    with transaction() as session:
        _print_history(audit_service.case_history(session, case_number))


@programmes_app.command("add")
@handled
def programmes_add(
    code: str,
    name: str,
    case_type: Annotated[CaseType, typer.Option("--type", help="hardship, mediation or insurance")],
    year: Annotated[int, typer.Option(help="budget year")],
    budget: Annotated[str, typer.Option(help="yearly budget in yuan")],
) -> None:
    """Add a programme with its budget for one year."""
    from services import ledger

    programme = ledger.add_programme(code, name, case_type, year, parse_yuan(budget, "budget"))
    typer.echo(f"programme {programme.code} {programme.year} added with a budget of {format_fen(programme.budget_fen)}")


@app.command()
@handled
def funds(
    year: Annotated[Optional[int], typer.Option(help="only this year")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
) -> None:
    """Budget, reserved, paid and remaining per programme and year, from the ledger."""
    from services import ledger

    rows = ledger.funds(year=year)
    if as_json:
        typer.echo(json.dumps([r.__dict__ for r in rows], ensure_ascii=False, indent=2))
        return
    table = Table("programme", "year", "budget", "reserved", "paid", "remaining", title="funds")
    for r in rows:
        table.add_row(f"{r.programme} {r.name}", str(r.year), format_fen(r.budget_fen), format_fen(r.reserved_fen),
                      format_fen(r.paid_fen), format_fen(r.remaining_fen))
    console.print(table)


@app.command()
@handled
def pay(case_number: str) -> None:
    """Pay one approved case now (the same service the payout flow uses; never pays twice)."""
    from services import payment_provider, payouts

    provider = payment_provider.from_settings(get_settings())
    try:
        view = payouts.pay_case(case_number, provider)
    finally:
        provider.close()
    typer.echo(f"payout {view.reference}: {view.status.value} ({format_fen(view.amount_fen)})")
    if view.status.value in ("submitted", "unknown"):
        typer.echo("the outcome is not known yet; `unionaid payouts resolve` (or the resolver deployment) finishes it")


@payouts_app.command("list")
@handled
def payouts_list(
    status: Annotated[Optional[str], typer.Option(help="prepared, submitted, succeeded, failed or unknown")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
) -> None:
    """Payouts, newest first (accounts masked)."""
    from models.payouts import Payout, PayoutStatus

    with transaction() as session:
        query = (select(Payout, Case).join(Case, col(Case.id) == Payout.case_id)
                 .order_by(col(Payout.id).desc()).limit(200))
        if status:
            try:
                query = query.where(col(Payout.status) == PayoutStatus(status))
            except ValueError:
                raise InputError("status", "must be prepared, submitted, succeeded, failed or unknown") from None
        rows = [{"reference": p.reference, "case_number": c.case_number, "status": p.status.value,
                 "amount_fen": p.amount_fen, "account": p.bank_account_masked, "provider_id": p.provider_id,
                 "failure_reason": p.failure_reason, "updated_at": _local(p.updated_at)}
                for p, c in session.execute(query).all()]
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    table = Table("reference", "status", "amount", "account", "updated")
    for r in rows:
        table.add_row(r["reference"], r["status"], format_fen(r["amount_fen"]), r["account"], r["updated_at"])
    console.print(table)


@payouts_app.command("resolve")
@handled
def payouts_resolve() -> None:
    """Ask the provider about every open payout and finish what can be finished."""
    from services import payment_provider, payouts

    provider = payment_provider.from_settings(get_settings())
    counts: dict[str, int] = {}
    try:
        for payout_id in payouts.open_payout_ids():
            try:
                status = payouts.resolve_payout(payout_id, provider).value
            except PermanentError as exc:
                typer.echo(f"refused: {exc}", err=True)
                status = "refused"
            counts[status] = counts.get(status, 0) + 1
    finally:
        provider.close()
    typer.echo(", ".join(f"{v} {k}" for k, v in sorted(counts.items())) or "no open payouts")


intake_app = typer.Typer(help="Take applications.", no_args_is_help=True)
schema_app = typer.Typer(help="JSON schemas of the application forms.", no_args_is_help=True)
app.add_typer(intake_app, name="intake")
app.add_typer(schema_app, name="schema")


@schema_app.command("hardship")
@handled
def schema_hardship() -> None:
    """Print the JSON schema of a hardship application (what `intake hardship` reads)."""
    from models.intake import application_schema

    typer.echo(json.dumps(application_schema(), ensure_ascii=False, indent=2))


@intake_app.command("hardship")
@handled
def intake_hardship(
    file: Annotated[Path, typer.Argument(help="JSON (one application) or CSV (one per row; list fields joined by ';')")],
    process: Annotated[bool, typer.Option(help="start processing each case in Prefect")] = True,
) -> None:
    """Take hardship applications: each valid one becomes a case; problems listed by row and field."""
    from services.hardship_files import read_applications
    from services.intake import intake_hardship as take

    applications, problems = read_applications(file)
    numbers = []
    for row, application in applications:
        try:
            numbers.append(take(application))
        except InputError as exc:
            problems.append(exc.problem_detail if exc.problem_detail.row else
                            type(exc.problem_detail)(exc.problem_detail.field, exc.problem_detail.problem, row))
    for number in numbers:
        typer.echo(f"{number} submitted")
        if process:
            from services.runs import wake_case

            typer.echo(f"  {wake_case(number, {})}")
    for problem in problems:
        typer.echo(f"  {problem}", err=True)
    if problems:
        fail(f"{len({p.row for p in problems})} application(s) not taken; {len(numbers)} taken")


@app.command()
@handled
def approve(
    case_number: str,
    staff: Annotated[str, typer.Option("--as", help="approver's staff number")],
    reason: Annotated[str, typer.Option(help="why")],
    amount: Annotated[Optional[str], typer.Option(help="approved amount in yuan (default: the requested amount)")] = None,
) -> None:
    """Approve a case (same rules as the Prefect form); wakes the run that waits for it."""
    from services import approvals
    from services.cases import load_case
    from services.runs import wake_case

    with transaction() as session:
        requested_fen = load_case(session, case_number).requested_fen
    amount_fen = parse_yuan(amount, "amount") if amount else requested_fen
    case = approvals.approve_case(case_number, approver=staff, amount_fen=amount_fen, reason=reason)
    if case.status == CaseStatus.awaiting_approval:
        typer.echo(f"{case_number}: approval recorded; a second, different approver must also approve")
    else:
        typer.echo(f"{case_number}: approved for {format_fen(case.approved_fen)}")
    typer.echo(wake_case(case_number, {"decision": "approve", "approver": staff, "reason": reason,
                                       "approved_amount_yuan": str(fen_to_yuan(amount_fen))}))


@app.command()
@handled
def reject(
    case_number: str,
    staff: Annotated[str, typer.Option("--as", help="approver's staff number")],
    reason: Annotated[str, typer.Option(help="why")],
) -> None:
    """Reject a case; wakes the run that waits for it."""
    from services import approvals
    from services.runs import wake_case

    approvals.reject_case(case_number, approver=staff, reason=reason)
    typer.echo(f"{case_number}: rejected")
    typer.echo(wake_case(case_number, {"decision": "reject", "approver": staff, "reason": reason}))


@cases_app.command("documents")
@handled
def cases_documents(
    case_number: str,
    kinds: Annotated[list[str], typer.Argument(help="document kinds received, e.g. income_proof diagnosis")],
    staff: Annotated[str, typer.Option("--as", help="staff number")],
) -> None:
    """Record documents received; a case waiting for information continues."""
    from services.intake import add_documents
    from services.runs import wake_case

    status = add_documents(case_number, kinds, actor=staff)
    typer.echo(f"{case_number}: {status.value}")
    if status == CaseStatus.verifying:
        typer.echo(wake_case(case_number, {}))


reconcile_app = typer.Typer(help="Monthly reconciliation of payouts against the provider's statement.")
app.add_typer(reconcile_app, name="reconcile")


@reconcile_app.callback(invoke_without_command=True)
@handled
def reconcile(
    ctx: typer.Context,
    month: Annotated[Optional[str], typer.Option(help="YYYY-MM (default: the previous month)")] = None,
    file: Annotated[Optional[Path], typer.Option(help="a statement CSV given by hand instead of downloading it")] = None,
    staff: Annotated[str, typer.Option("--as", help="who runs it (a finance officer, or system)")] = "system",
) -> None:
    """Reconcile a month: `unionaid reconcile --month 2026-10`."""
    if ctx.invoked_subcommand is not None:
        return
    from flows.reconciliation import previous_month
    from models.time import utcnow
    from services import payment_provider, reconciliation

    month = month or previous_month(utcnow().astimezone(get_settings().zone).date())
    if file is not None:
        if not file.is_file():
            raise InputError("file", "does not exist or is not a file")
        summary = reconciliation.reconcile_month(month, file, actor=staff)
    else:
        provider = payment_provider.from_settings(get_settings())
        try:
            summary = reconciliation.reconcile_month(month, provider, actor=staff)
        finally:
            provider.close()
    typer.echo(str(summary))


@reconcile_app.command("exceptions")
@handled
def reconcile_exceptions(
    month: Annotated[str, typer.Option(help="YYYY-MM")],
    open_only: Annotated[bool, typer.Option("--open", help="only open items")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
) -> None:
    """The month's exception items for finance."""
    from services import reconciliation

    items = reconciliation.list_exceptions(month, only_open=open_only)
    if as_json:
        typer.echo(json.dumps([{**i.__dict__, "severity": i.severity.value, "status": i.status.value} for i in items],
                              ensure_ascii=False, indent=2))
        return
    table = Table("id", "class", "severity", "status", "reference", "ours", "provider")
    for i in items:
        table.add_row(str(i.id), i.discrepancy, i.severity.value, i.status.value, i.reference,
                      format_fen(i.our_amount_fen), format_fen(i.provider_amount_fen))
    console.print(table)


@reconcile_app.command("resolve")
@handled
def reconcile_resolve(
    exception_id: int,
    staff: Annotated[str, typer.Option("--as", help="finance officer's staff number")],
    reason: Annotated[str, typer.Option(help="what was found and done")],
) -> None:
    """Resolve one exception item, with a reason (audited)."""
    from services import reconciliation

    item = reconciliation.resolve_exception(exception_id, staff_number=staff, reason=reason)
    typer.echo(f"exception {item.id} ({item.reference}) resolved")


@reconcile_app.command("sign-off")
@handled
def reconcile_sign_off(
    month: Annotated[str, typer.Option(help="YYYY-MM")],
    staff: Annotated[str, typer.Option("--as", help="finance officer's staff number")],
) -> None:
    """Sign the month off; refused while an exception is open."""
    from services import reconciliation

    summary = reconciliation.sign_off(month, staff_number=staff)
    typer.echo(f"{month} version {summary.version} signed off by {summary.signed_off_by}")


@app.command()
@handled
def report(
    month: Annotated[Optional[str], typer.Option(help="YYYY-MM (default: the previous month)")] = None,
    publish: Annotated[bool, typer.Option("--publish", help="also create the Prefect artifacts (needs `unionaid up` running)")] = False,
    directory: Annotated[Optional[Path], typer.Option("--dir", help="write the files here instead of <data_dir>/reports/<month>")] = None,
) -> None:
    """The monthly report: workbook, CSVs and a page with charts: `unionaid report --month 2026-10`."""
    from flows.reconciliation import previous_month
    from models.time import utcnow
    from services.prefect_env import our_prefect_server
    from services.reports import produce_monthly_report

    month = month or previous_month(utcnow().astimezone(get_settings().zone).date())
    with our_prefect_server():
        produced = produce_monthly_report(month, publish=publish, directory=directory)
    files = produced.files
    typer.echo(f"monthly report {month}: {produced.report.scope_text}")
    typer.echo(f"  workbook: {files.xlsx}")
    typer.echo(f"  page:     {files.html}")
    typer.echo(f"  CSV:      {len(files.csvs)} files in {files.directory}")
    if produced.artifact_keys:
        typer.echo(f"  artifacts: {', '.join(produced.artifact_keys)}")


households_app = typer.Typer(help="The hardship household register (困难职工建档).", no_args_is_help=True)
campaigns_app = typer.Typer(help="Campaigns: autumn student aid (金秋助学), winter warmth and summer cooling.",
                            no_args_is_help=True)
app.add_typer(households_app, name="households")
app.add_typer(campaigns_app, name="campaigns")


@households_app.command("register")
@handled
def households_register(
    household_number: str,
    tier: Annotated[str, typer.Option(help="deep (深度困难), relative (相对困难) or accident (意外致困)")],
    staff: Annotated[str, typer.Option("--as", help="caseworker's or supervisor's staff number")],
    reason: Annotated[str, typer.Option(help="the evidence: a case number or the paper file")],
    case: Annotated[Optional[str], typer.Option(help="a verified hardship case of this household, as evidence")] = None,
    since: Annotated[Optional[str], typer.Option(help="YYYY-MM-DD the household entered the register (default: today)")]
    = None,
) -> None:
    """Put a household in the register at a tier, or change its tier (audited)."""
    from datetime import date

    from services import households

    try:
        registered_on = date.fromisoformat(since) if since else None
    except ValueError:
        raise InputError("since", "must be a date as YYYY-MM-DD") from None
    typer.echo(households.register(household_number, tier, actor=staff, reason=reason, case_number=case,
                                   registered_on=registered_on))


@households_app.command("import")
@handled
def households_import(
    file: Annotated[Path, typer.Argument(help="CSV or JSON: household_number, tier, reason[, since, case]")],
    staff: Annotated[str, typer.Option("--as", help="caseworker's or supervisor's staff number")],
) -> None:
    """Carry a paper register over; each row audited like `households register`."""
    from services import households

    report = households.import_register(file, actor=staff)
    for line in report.changed:
        typer.echo(line)
    typer.echo(f"{len(report.changed)} household(s) changed, {report.unchanged} already registered")
    if report.ignored_columns:
        typer.echo(f"ignored column(s): {', '.join(report.ignored_columns)}")
    _fail_on_problems(report.problems, "row(s) not imported; correct them and import the file again")


@households_app.command("leave")
@handled
def households_leave(
    household_number: str,
    staff: Annotated[str, typer.Option("--as", help="caseworker's or supervisor's staff number")],
    reason: Annotated[str, typer.Option(help="why the household leaves the register (e.g. 脱困)")],
) -> None:
    """Take a household off the register (audited)."""
    from services import households

    typer.echo(households.deregister(household_number, actor=staff, reason=reason))


@households_app.command("list")
@handled
def households_list(
    tier: Annotated[Optional[str], typer.Option(help="only this tier")] = None,
    unit: Annotated[Optional[str], typer.Option(help="only this unit code")] = None,
    every: Annotated[bool, typer.Option("--all", help="also households not in the register")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
) -> None:
    """The register: household, unit, tier, since when, its member, how many people."""
    from models.policy import Tier
    from services import households

    try:
        wanted = Tier(tier) if tier else None
    except ValueError:
        raise InputError("tier", f"must be one of {', '.join(t.value for t in Tier)}") from None
    entries = households.list_register(tier=wanted, unit_code=unit, include_unregistered=every)
    if as_json:
        typer.echo(json.dumps([{"household": e.household_number, "unit": e.unit, "tier": e.tier.value if e.tier else None,
                                "registered_on": e.registered_on.isoformat() if e.registered_on else None,
                                "member": e.self_member, "people": e.people} for e in entries], indent=2))
        return
    table = Table("household", "unit", "tier", "since", "member", "people")
    for e in entries:
        table.add_row(e.household_number, e.unit, e.tier.value if e.tier else "-",
                      e.registered_on.isoformat() if e.registered_on else "-", e.self_member or "-", str(e.people))
    console.print(table)


@campaigns_app.command("create")
@handled
def campaigns_create(
    kind: Annotated[str, typer.Argument(help="student_aid (金秋助学)")],
    year: int,
    caseworker: Annotated[str, typer.Option(help="staff number who submits the campaign's cases")],
    approver: Annotated[str, typer.Option(help="staff number who approves the batch (not the caseworker)")],
    code: Annotated[Optional[str], typer.Option(help="campaign code (default: e.g. student-aid-2026)")] = None,
) -> None:
    """Open a campaign (or show the one with this code); attach applications next."""
    from models.campaigns import CampaignKind
    from services import campaigns

    if kind != CampaignKind.student_aid.value:
        raise InputError("kind", "must be student_aid; winter and summer relief start with `unionaid campaigns seasonal`")
    view = campaigns.create_campaign(CampaignKind.student_aid, year, caseworker=caseworker, approver=approver, code=code)
    total = sum(view.cases.values())
    typer.echo(f"campaign {view.code}: {view.status.value}, {total} case(s)")


@campaigns_app.command("seasonal")
@handled
def campaigns_seasonal(
    kind: Annotated[str, typer.Argument(help="winter_relief (冬送温暖) or summer_relief (夏送清凉)")],
    year: int,
    caseworker: Annotated[str, typer.Option(help="staff number who submits the campaign's cases")],
    approver: Annotated[str, typer.Option(help="staff number who approves the batch (not the caseworker)")],
) -> None:
    """Start the seasonal-relief run: every registered household, its tier's amount, paid in one batch."""
    from prefect.client.schemas.objects import FlowRun
    from prefect.deployments import run_deployment

    from services.prefect_env import our_prefect_server

    if kind not in ("winter_relief", "summer_relief"):
        raise InputError("kind", "must be winter_relief or summer_relief")
    try:
        with our_prefect_server():
            # Prefect's async_dispatch types the result as FlowRun | Coroutine; called here, outside any
            # event loop, it runs the sync version and returns the FlowRun.
            run = cast(FlowRun, run_deployment("seasonal-relief/seasonal", timeout=0,
                                               parameters={"kind": kind, "year": year, "caseworker": caseworker,
                                                           "approver": approver}))
    except Exception:  # noqa: BLE001 - Prefect is not running: say what to do
        fail("Prefect could not be reached: start everything with `make up`, then run this again")
    from models.campaigns import CampaignKind, default_code

    code = default_code(CampaignKind(kind), year)
    typer.echo(f"started run {run.name} for campaign {code}: follow it under Runs in the Prefect UI, "
               f"or with `unionaid campaigns show {code}`")


@campaigns_app.command("attach")
@handled
def campaigns_attach(
    code: str,
    file: Annotated[Path, typer.Argument(help="applications as .json (one or a list) or .csv")],
) -> None:
    """Take a file of applications into the campaign; a file attached twice attaches each once."""
    from services import campaigns

    if not file.is_file():
        raise InputError("file", "does not exist or is not a file")
    report = campaigns.attach_applications(code, file)
    typer.echo(f"campaign {code}: {len(report.attached)} attached, {len(report.already)} attached before")
    _fail_on_problems(report.problems, "application(s) not attached; correct them and attach the file again")


@campaigns_app.command("object")
@handled
def campaigns_object(
    code: str,
    case_number: str,
    staff: Annotated[str, typer.Option("--as", help="staff number of who records the objection")],
    text: Annotated[str, typer.Option(help="what the objection says")],
) -> None:
    """Record an objection during the public notice; the case is held for a person's decision."""
    from services import campaigns

    campaigns.record_objection(code, case_number, text=text, recorded_by=staff)
    typer.echo(f"{case_number}: objection recorded; the case waits for `unionaid approve` or `unionaid reject`")


@campaigns_app.command("show")
@handled
def campaigns_show(code: str) -> None:
    """The campaign: status, notice dates, money, cases by status, cases waiting for a person."""
    from services import campaigns

    typer.echo(campaigns.summary_markdown(code), nl=False)


@app.command()
@handled
def demo() -> None:
    """A scripted walk-through on demo data; prints each case's final state and exits."""
    from services.demo import run_demo

    run_demo(echo=typer.echo)


def main() -> None:
    app()


if __name__ == "__main__":
    main()


__all__ = ["app", "InputError"]
