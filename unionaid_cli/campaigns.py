"""Campaigns: ``campaigns create``, ``seasonal``, ``attach``, ``object`` and ``show``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional, cast

import typer

from models.errors import InputError
from models.identity import StaffClaim
from unionaid_cli.shared import CodeOption, claim, fail, fail_on_problems, handled

campaigns_app = typer.Typer(help="Campaigns: autumn student aid (金秋助学), winter warmth and summer cooling.",
                            no_args_is_help=True)


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
    staff: Annotated[str, typer.Option("--as", help="your staff number: the caseworker who submits the cases")],
    approver: Annotated[str, typer.Option(help="staff number who approves the batch (not the caseworker)")],
    otp: CodeOption = None,
) -> None:
    """Start the seasonal-relief run: every registered household at its tier's amount, submitted
    by you; the batch then waits for `unionaid campaigns approve`."""
    from prefect.client.schemas.objects import FlowRun
    from prefect.deployments import run_deployment

    from services.prefect_env import our_prefect_server

    if kind not in ("winter_relief", "summer_relief"):
        raise InputError("kind", "must be winter_relief or summer_relief")
    who = claim(staff, otp)
    if not isinstance(who, StaffClaim):
        raise InputError("as", "must be a caseworker's staff number: the system submits no campaign")
    try:
        with our_prefect_server():
            # Prefect's async_dispatch types the result as FlowRun | Coroutine; called here, outside any
            # event loop, it runs the sync version and returns the FlowRun. The run drops the code
            # from its parameters before anything else.
            run = cast(FlowRun, run_deployment("seasonal-relief/seasonal", timeout=0,
                                               parameters={"kind": kind, "year": year, "caseworker": who.staff_number,
                                                           "one_time_code": who.code, "approver": approver}))
    except Exception:  # noqa: BLE001 - Prefect is not running: say what to do
        fail("Prefect could not be reached: start everything with `make up`, then run this again")
    from models.campaigns import CampaignKind, default_code

    code = default_code(CampaignKind(kind), year)
    typer.echo(f"started run {run.name} for campaign {code}: follow it under Runs in the Prefect UI, "
               f"or with `unionaid campaigns show {code}`")


@campaigns_app.command("approve")
@handled
def campaigns_approve(
    code: str,
    staff: Annotated[str, typer.Option("--as", help="your staff number: the approver of the batch")],
    otp: CodeOption = None,
) -> None:
    """Approve, as you, every case of the campaign waiting for the batch approval (one one-time
    code for the batch), then pay the approved cases."""
    from services import campaigns, providers

    counts = campaigns.approve_batch(code, approver=claim(staff, otp))
    typer.echo(f"campaign {code}: " + (", ".join(f"{v} {k}" for k, v in sorted(counts.items())) or "nothing to approve"))
    provider = providers.payment()
    try:
        paid = campaigns.pay_batch(code, provider)
    finally:
        provider.close()
    typer.echo(f"campaign {code}: payment " + (", ".join(f"{v} {k}" for k, v in sorted(paid.items())) or "nothing to pay"))


@campaigns_app.command("attach")
@handled
def campaigns_attach(
    code: str,
    file: Annotated[Path, typer.Argument(help="applications as .json (one or a list) or .csv")],
    staff: Annotated[str, typer.Option("--as", help="your staff number: the caseworker every application names")],
    otp: CodeOption = None,
) -> None:
    """Take a file of applications into the campaign, submitted by you; a file attached twice
    attaches each once."""
    from services import campaigns

    if not file.is_file():
        raise InputError("file", "does not exist or is not a file")
    report = campaigns.attach_applications(code, file, submitted_by=claim(staff, otp))
    typer.echo(f"campaign {code}: {len(report.attached)} attached, {len(report.already)} attached before")
    fail_on_problems(report.problems, "application(s) not attached; correct them and attach the file again")


@campaigns_app.command("object")
@handled
def campaigns_object(
    code: str,
    case_number: str,
    staff: Annotated[str, typer.Option("--as", help="staff number of who records the objection")],
    text: Annotated[str, typer.Option(help="what the objection says")],
    otp: CodeOption = None,
) -> None:
    """Record an objection during the public notice; the case is held for a person's decision."""
    from services import campaigns

    campaigns.record_objection(code, case_number, text=text, recorded_by=claim(staff, otp))
    typer.echo(f"{case_number}: objection recorded; the case waits for `unionaid approve` or `unionaid reject`")


@campaigns_app.command("show")
@handled
def campaigns_show(code: str) -> None:
    """The campaign: status, notice dates, money, cases by status, cases waiting for a person."""
    from services import campaigns

    typer.echo(campaigns.summary_markdown(code), nl=False)
