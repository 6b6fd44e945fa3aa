"""Who acts: the system (a flow), or a staff member who proves who they are.

A person never acts by a bare staff number. The command line and the Prefect forms carry a
``StaffClaim``: the staff number typed and the one-time code (RFC 6238 TOTP) from the person's
authenticator app. ``services.auth`` checks the claim and answers with a ``Verified`` identity,
which is what the services act on and what the audit trail records (number and how it was
proved, never the code). Pure: no database, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field

SYSTEM_ACTOR = "system"
TOTP = "totp"  # how a staff member proved who they are: a one-time code (RFC 6238)
CODE_PATTERN = r"^\s*\d{6}\s*$"  # what a form accepts as a one-time code: six digits
DEMO = "demo_script"  # `unionaid demo` tells its story as the demo staff; development only


@dataclass(frozen=True)
class StaffClaim:
    """A staff number with the one-time code that is to prove it. The code is never shown."""

    staff_number: str
    code: str = field(repr=False)

    def __str__(self) -> str:
        return self.staff_number


@dataclass(frozen=True)
class Verified:
    """A staff member whose claim was checked in this process: their number and how."""

    staff_number: str
    method: str = TOTP

    def __str__(self) -> str:
        return self.staff_number


# What the services accept as the one who acts: ``SYSTEM_ACTOR`` (flows only), a claim still
# to check, or an identity checked already. A bare staff number is refused (``NotAuthenticated``).
Actor = str | StaffClaim | Verified


def actor_label(actor: Actor) -> str:
    """The staff number (or ``system``) as the audit trail names the one who acts."""
    return actor if isinstance(actor, str) else actor.staff_number
