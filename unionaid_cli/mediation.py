"""Labour-dispute mediation at the station's desk: ``mediation show|accept|decline|consent|session|
extend|agreement|sign|fail|paid|document|advance|repaid|write-off`` and ``employers add``. Applications are taken with
``unionaid intake mediation FILE`` (or the Prefect form ``mediation-intake``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from unionaid_cli.shared import CodeOption, claim, day_or_today, handled

mediation_app = typer.Typer(help="Labour-dispute mediation (劳动争议调解): acceptance, sessions, agreements, "
                                 "referral to arbitration.", no_args_is_help=True)
employers_app = typer.Typer(help="Employers (用人单位) and the grassroots union each has.", no_args_is_help=True)

StaffOption = Annotated[str, typer.Option("--as", help="your staff number (a mediator or approver of the body)")]




@mediation_app.command("show")
@handled
def show(case_number: str) -> None:
    """The case as its body sees it: status, mediator, the days left on its clock, the agreement."""
    from casetypes.mediation import service

    for line in service.mediation_view(case_number.strip().upper()).lines():
        typer.echo(line)


@mediation_app.command("accept")
@handled
def accept(
    case_number: str,
    mediator: Annotated[str, typer.Option(help="the staff number of the mediator assigned")],
    staff: StaffOption,
    employer_consents: Annotated[bool, typer.Option("--employer-consents", help="the employer consents to mediation")]
    = False,
    code: CodeOption = None,
) -> None:
    """Accept the application (within 3 working days of receipt) and assign its mediator."""
    from casetypes.mediation import service
    from services.runs import wake_case

    service.accept_case(case_number, by=claim(staff, code), mediator=mediator, employer_consents=employer_consents)
    typer.echo(f"{case_number}: accepted; mediator {mediator}")
    typer.echo(wake_case(case_number))


@mediation_app.command("decline")
@handled
def decline(case_number: str, reason: Annotated[str, typer.Option(help="the written reason the worker is given")],
            staff: StaffOption, code: CodeOption = None) -> None:
    """Decline the application in writing."""
    from casetypes.mediation import service
    from services.runs import wake_case

    service.decline_case(case_number, by=claim(staff, code), reason=reason)
    typer.echo(f"{case_number}: declined")
    typer.echo(wake_case(case_number))


@mediation_app.command("consent")
@handled
def consent(case_number: str, staff: StaffOption, code: CodeOption = None) -> None:
    """Record the worker's consent to mediation, given after intake; the case is checked again."""
    from casetypes.mediation import service
    from services.runs import start_case_run

    service.record_consent(case_number, by=claim(staff, code))
    typer.echo(f"{case_number}: the worker's consent is recorded")
    typer.echo(start_case_run(case_number))


@mediation_app.command("session")
@handled
def session(
    case_number: str,
    attendees: Annotated[str, typer.Option(help="who attended (stored encrypted)")],
    summary: Annotated[str, typer.Option(help="what was said and agreed (stored encrypted)")],
    next_step: Annotated[str, typer.Option(help="the next step")],
    staff: StaffOption,
    on: Annotated[Optional[str], typer.Option(help="YYYY-MM-DD it was held (default: today)")] = None,
    code: CodeOption = None,
) -> None:
    """Record a mediation session; the first one opens mediation."""
    from casetypes.mediation import service

    seq = service.record_session(case_number, by=claim(staff, code), held_on=day_or_today(on, "on"), attendees=attendees,
                                 summary=summary, next_step=next_step)
    typer.echo(f"{case_number}: session {seq} recorded")


@mediation_app.command("extend")
@handled
def extend(
    case_number: str,
    days: Annotated[int, typer.Option(help="how many more days both parties agree to")],
    worker_agreed_on: Annotated[str, typer.Option(help="YYYY-MM-DD the worker agreed")],
    employer_agreed_on: Annotated[str, typer.Option(help="YYYY-MM-DD the employer agreed")],
    staff: StaffOption,
    code: CodeOption = None,
) -> None:
    """Extend mediation with both parties' consent (within the policy's limit)."""
    from casetypes.mediation import service

    due = service.extend_mediation(case_number, by=claim(staff, code), days=days,
                                   worker_agreed_on=day_or_today(worker_agreed_on, "worker_agreed_on"),
                                   employer_agreed_on=day_or_today(employer_agreed_on, "employer_agreed_on"))
    typer.echo(f"{case_number}: mediation now ends {due.isoformat()}")


@mediation_app.command("agreement")
@handled
def agreement(
    case_number: str,
    terms: Annotated[Path, typer.Argument(help="JSON: payments [{kind, amount_yuan, due_on}], waived [..], other [..]")],
    staff: StaffOption,
    code: CodeOption = None,
) -> None:
    """Draft the agreement's terms (replaced while nobody has signed)."""
    from casetypes.mediation import service
    from casetypes.mediation.form import parse_terms
    from services.import_files import load_json, read_text

    service.draft_agreement(case_number, parse_terms(load_json(read_text(terms))), by=claim(staff, code))
    typer.echo(f"{case_number}: agreement drafted; record the signatures and the seal with `mediation sign`")


@mediation_app.command("sign")
@handled
def sign(
    case_number: str,
    mark: Annotated[str, typer.Argument(help="worker, employer, mediator or seal")],
    staff: StaffOption,
    on: Annotated[Optional[str], typer.Option(help="YYYY-MM-DD (default: today)")] = None,
    code: CodeOption = None,
) -> None:
    """Record a signature or the body's seal; with all four the agreement takes effect (art. 14)."""
    from casetypes.mediation import service

    missing = service.sign_agreement(case_number, mark.strip().lower(), on=day_or_today(on, "on"), by=claim(staff, code))
    typer.echo(f"{case_number}: " + ("the agreement is effective" if not missing else "still lacks " + ", ".join(missing)))


@mediation_app.command("fail")
@handled
def fail(
    case_number: str,
    reason: Annotated[str, typer.Option(help="why mediation failed (stored encrypted)")],
    staff: StaffOption,
    legal_aid: Annotated[bool, typer.Option("--legal-aid", help="the worker asks for legal aid (法律援助)")] = False,
    code: CodeOption = None,
) -> None:
    """Mediation failed: refer the case to labour arbitration (and legal aid when asked)."""
    from casetypes.mediation import service

    last_day = service.record_failure(case_number, by=claim(staff, code), reason=reason, legal_aid=legal_aid)
    limit = f"the worker may apply for arbitration until {last_day.isoformat()}" if last_day else \
        "no limitation runs while the employment lasts (unpaid wages)"
    typer.echo(f"{case_number}: referred to arbitration; {limit}")


@mediation_app.command("paid")
@handled
def paid(
    case_number: str,
    payment: Annotated[int, typer.Argument(help="the number of the agreement's payment (see `mediation show`)")],
    amount: Annotated[str, typer.Option(help="what the employer paid, in yuan")],
    staff: StaffOption,
    on: Annotated[Optional[str], typer.Option(help="YYYY-MM-DD it was paid (default: today)")] = None,
    code: CodeOption = None,
) -> None:
    """Record what the employer paid the worker under the agreement; all paid, the case closes."""
    from casetypes.mediation import service
    from models.money import format_fen, parse_yuan

    owed = service.record_employer_payment(case_number, payment, amount_fen=parse_yuan(amount, "amount"),
                                           paid_on=day_or_today(on, "on"), by=claim(staff, code))
    typer.echo(f"{case_number}: payment {payment} " + (f"still owes {format_fen(owed)}" if owed else "paid in full"))


@mediation_app.command("document")
@handled
def document(
    case_number: str,
    kind: Annotated[str, typer.Argument(help="oral-record (口头申请笔录), agreement (调解协议书) or referral (终止调解告知书)")],
    out: Annotated[Path, typer.Option(help="the .docx file to write")],
    staff: StaffOption,
    code: CodeOption = None,
) -> None:
    """Make a printable document of the case (with the parties' ID numbers on it; audited)."""
    from casetypes.mediation.documents import make_document

    written = make_document(case_number, kind, out, by=claim(staff, code))
    typer.echo(f"{case_number}: {kind} written to {written}")


@mediation_app.command("advance")
@handled
def advance_request(
    case_number: str,
    amount: Annotated[str, typer.Option(help="the advance in yuan (at most the wages claimed)")],
    repay_by: Annotated[str, typer.Option(help="YYYY-MM-DD the employer repays it by")],
    staff: Annotated[str, typer.Option("--as", help="your staff number (a caseworker)")],
    process: Annotated[bool, typer.Option(help="start processing it in Prefect")] = True,
    code: CodeOption = None,
) -> None:
    """Request a union wage advance (工资垫付) for the worker of an unpaid-wages mediation case."""
    from casetypes.mediation import advance
    from services.runs import start_case_run

    request = advance.parse_advance({"caseworker": staff, "mediation_case": case_number, "amount_yuan": amount,
                                     "repay_by": repay_by})
    number = advance.request_advance(request, claim(staff, code))
    typer.echo(f"{number}: wage advance requested for {case_number}; decide it with `unionaid approve|reject`")
    if process:
        typer.echo(start_case_run(number))


@mediation_app.command("bank-card")
@handled
def bank_card(
    case_number: str,
    staff: Annotated[str, typer.Option("--as", help="your staff number (a caseworker or mediator of the body)")],
    code: CodeOption = None,
) -> None:
    """Record the worker's bank card (asked without echo), for a wage advance to a worker who is
    not a member."""
    from casetypes.mediation import service

    card = typer.prompt("Bank card 银行卡号", hide_input=True)
    masked = service.record_worker_card(case_number, card, by=claim(staff, code))
    typer.echo(f"{case_number}: the worker's card {masked} is recorded")


@mediation_app.command("repaid")
@handled
def repaid(
    advance_number: str,
    amount: Annotated[str, typer.Option(help="what the employer repaid, in yuan")],
    reference: Annotated[str, typer.Option(help="the employer's transfer reference")],
    staff: Annotated[str, typer.Option("--as", help="finance officer's staff number")],
    on: Annotated[Optional[str], typer.Option(help="YYYY-MM-DD it was received (default: today)")] = None,
    code: CodeOption = None,
) -> None:
    """Record the employer's repayment of an advance (once per reference); repaid in full, it closes."""
    from casetypes.mediation import advance
    from models.money import format_fen, parse_yuan

    owed = advance.record_repayment(advance_number, amount_fen=parse_yuan(amount, "amount"), reference=reference,
                                    received_on=day_or_today(on, "on"), actor=claim(staff, code))
    typer.echo(f"{advance_number}: " + (f"{format_fen(owed)} still owed" if owed else "repaid in full; closed"))


@mediation_app.command("write-off")
@handled
def write_off(
    advance_number: str,
    reason: Annotated[str, typer.Option(help="why the rest will not be recovered")],
    staff: Annotated[str, typer.Option("--as", help="approver's staff number")],
    code: CodeOption = None,
) -> None:
    """Write off what the employer still owes on an advance (an approver, with a reason; audited)."""
    from casetypes.mediation import advance
    from models.money import format_fen

    left = advance.write_off(advance_number, reason=reason, by=claim(staff, code))
    typer.echo(f"{advance_number}: {format_fen(left)} written off; closed")


@employers_app.command("add")
@handled
def employers_add(
    uscc: str,
    name: Annotated[str, typer.Option(help="the employer's registered name")],
    district: Annotated[str, typer.Option(help="6-digit district code (GB/T 2260)")],
    staff: Annotated[str, typer.Option("--as", help="supervisor's staff number")],
    union: Annotated[Optional[str], typer.Option(help="the code of its grassroots union, if it has one")] = None,
    code: CodeOption = None,
) -> None:
    """Add an employer by its unified social credit code, with its grassroots union."""
    from casetypes.mediation import service

    employer = service.add_employer(uscc, name, district, union, by=claim(staff, code))
    typer.echo(f"employer {employer.uscc} added" + (f" (union {union})" if union else ""))
