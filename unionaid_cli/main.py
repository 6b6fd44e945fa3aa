"""``unionaid``: the staff and operator command line (typer + rich).

This module only builds the root ``app``; each group of commands lives in its own module and
reads and writes through ``services``:

    system      up, demo, db              money       funds, pay, payouts
    org         units, staff, members,    decisions   approve, reject
                programmes                reports     report
    cases       cases                     intake      intake, schema
    audit       audit                     reconcile   reconcile
    households  households                campaigns   campaigns
    mediation   mediation, employers      assistance  pairings, employment
    insurance   insurance
"""

from __future__ import annotations

import typer

from models.errors import InputError
from services.masking import install_masking
from unionaid_cli import (
    assistance,
    audit,
    campaigns,
    cases,
    decisions,
    households,
    insurance,
    intake,
    mediation,
    money,
    obligations,
    org,
    reconcile,
    reports,
    system,
)
from unionaid_cli.shared import console

app = typer.Typer(help="unionaid: casework for hardship aid, dispute mediation and mutual-insurance claims.",
                  no_args_is_help=True, pretty_exceptions_enable=False, add_completion=False)


@app.callback()
def _startup() -> None:
    install_masking()


# In the order `unionaid --help` lists them: the commands first, then the groups.
for command in (system.up, money.funds, money.pay, decisions.approve, decisions.reject, reports.report, system.demo,
                intake.intake, intake.schema):
    app.command()(command)
for sub, name in ((system.db_app, "db"), (org.units_app, "units"), (org.staff_app, "staff"),
                  (org.members_app, "members"), (cases.cases_app, "cases"), (audit.audit_app, "audit"),
                  (org.programmes_app, "programmes"), (money.payouts_app, "payouts"),
                  (reconcile.reconcile_app, "reconcile"),
                  (households.households_app, "households"), (campaigns.campaigns_app, "campaigns"),
                  (obligations.obligations_app, "obligations"), (assistance.pairings_app, "pairings"),
                  (assistance.employment_app, "employment"), (mediation.mediation_app, "mediation"),
                  (mediation.employers_app, "employers"), (insurance.insurance_app, "insurance")):
    app.add_typer(sub, name=name)


def main() -> None:
    app()


if __name__ == "__main__":
    main()


__all__ = ["app", "console", "InputError"]
