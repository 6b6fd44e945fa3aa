"""The audit trail: ``audit verify`` and ``audit show``; the history table ``cases show`` prints too."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from models.audit import AuditEvent
from services import audit_queries
from unionaid_cli.shared import console, fail, handled, local_time

audit_app = typer.Typer(help="The hash-chained audit trail.", no_args_is_help=True)


def print_history(history: list[AuditEvent]) -> None:
    table = Table("seq", "time", "actor", "action", "from", "to", "reason")
    for e in history:
        table.add_row(str(e.seq), local_time(e.occurred_at), e.actor, e.action, e.from_status or "", e.to_status or "",
                      e.reason)
    console.print(table)


@audit_app.command("verify")
@handled
def audit_verify(
    checkpoints: Annotated[Optional[Path], typer.Option(help="published checkpoints (default: <data dir>/audit/checkpoints.jsonl)")]
    = None,
    deep: Annotated[bool, typer.Option("--deep", help="also replay the trail against every case, payout, "
                                                       "obligation and ledger balance")] = False,
) -> None:
    """Walk the whole keyed audit chain and check it against every published checkpoint; with
    ``--deep``, replay it and name every row whose state it does not explain. Exit 1 when the
    chain is broken or disagrees, or a row is unexplained."""
    report = audit_queries.verify_audit_chain(checkpoints=checkpoints)
    if not report.intact:
        fail(str(report))
    typer.echo(str(report))
    if deep:
        replayed = audit_queries.replay_audit_trail()
        if not replayed.explained:
            fail(str(replayed))
        typer.echo(str(replayed))


@audit_app.command("checkpoint")
@handled
def audit_checkpoint(
    to: Annotated[Optional[Path], typer.Option(help="the checkpoints file (default: <data dir>/audit/checkpoints.jsonl)")]
    = None,
) -> None:
    """Sign the chain's head now and append it to the published checkpoints (the nightly
    audit-verify run does this too); prints the line and the verifying key."""
    from services.audit_checkpoints import public_key_text

    checkpoint = audit_queries.publish_checkpoint(path=to)
    typer.echo(checkpoint.line())
    typer.echo(f"verifying key (Ed25519, base64): {public_key_text()}")


@audit_app.command("show")
@handled
def audit_show(case_number: str) -> None:
    """A case's audit history."""
    print_history(audit_queries.case_audit_history(case_number))
