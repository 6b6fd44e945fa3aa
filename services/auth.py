"""Staff who prove who they are: one-time codes (RFC 6238 TOTP) from an authenticator app.

Rules kept here:

- A person's decision counts only with a code of their own: ``verify`` turns a ``StaffClaim``
  (number and code) into a ``Verified`` identity, or refuses with ``NotAuthenticated``.
- A code is used once. The time step of the last code accepted is stored, and only a later step
  is accepted; the guarded UPDATE lets exactly one of two concurrent uses of one code win.
- Failures are counted, also when the command they came with is rolled back (the count is
  written after the rollback, ``after_rollback``); at ``LOCK_AFTER`` failures in a row the
  account locks until a supervisor unlocks it. A revoked account proves nothing until enrolled
  again.
- Secrets are stored encrypted with ``UNIONAID_STAFF_SECRET_KEY``, a key that lives outside the
  database. Codes never reach logs, Prefect or the audit trail: the trail records who acted and
  how they proved it (``totp``).
- Supervisors enrol, revoke and unlock. Until a first supervisor is enrolled (a new
  installation), the operator enrols that supervisor from the command line (``bootstrapping``).
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import pyotp
from sqlalchemy import Engine, select, update
from sqlmodel import Session, col

from models.enums import Role
from models.errors import ConfigurationError, NotAuthenticated, NotFound, RuleViolation, shown_code
from models.identity import SYSTEM_ACTOR, TOTP, Actor, StaffClaim, Verified
from models.org import Staff, StaffCredential
from models.time import utcnow
from services.audit import append_event
from services.db import transaction
from services.pii import decrypt_with, encrypt_with
from services.settings import get_settings

LOCK_AFTER = 5  # failed codes in a row
ISSUER = "unionaid"
DIGITS = 6
STEP_SECONDS = 30
WINDOW = 1  # steps either side of now: a phone clock a little off still works
_CACHE = "unionaid.verified"  # session.info key: a claim checked once per transaction
# Where the time step of a code is read from: the engine's clock (``models.time``). Tests of
# the command line move only this one ahead, a step per command, so that each command can be
# given a code of its own without waiting 30 seconds.
clock: Callable[[], datetime] = utcnow


@dataclass(frozen=True)
class Enrolment:
    """What a new authenticator app needs: the ``otpauth://`` URI (shown as a QR code)."""

    staff_number: str
    uri: str = field(repr=False)


def _secret_key() -> str:
    return get_settings().staff_secret_key.get_secret_value()


def _totp(secret: str) -> pyotp.TOTP:
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS, issuer=ISSUER)


def _staff(session: Session, staff_number: str) -> Staff:
    staff = session.execute(select(Staff).where(col(Staff.staff_number) == staff_number)).scalar_one_or_none()
    if staff is None:
        raise NotFound(f"staff member {shown_code(staff_number)} does not exist")
    return staff


def _credential(session: Session, staff: Staff) -> StaffCredential | None:
    return session.get(StaffCredential, staff.id)


def verify(session: Session, claim: StaffClaim) -> Verified:
    """The identity ``claim`` proves, or ``NotAuthenticated`` saying why not. Checked once per
    transaction: the same claim asked again in it (a service calling another) is not a reuse."""
    cache: dict[tuple[str, str], Verified] = session.info.setdefault(_CACHE, {})
    if (claim.staff_number, claim.code) in cache:
        return cache[(claim.staff_number, claim.code)]
    staff = _staff(session, claim.staff_number)
    if not staff.active:
        raise RuleViolation(f"staff member {staff.staff_number} is not active")
    credential = _credential(session, staff)
    who = staff.staff_number
    if credential is None or credential.revoked_at is not None:
        raise NotAuthenticated(f"staff member {who} has no one-time code set up; "
                               f"a supervisor enrols them (`unionaid staff enrol {who}`)")
    if credential.locked_at is not None:
        raise NotAuthenticated(f"staff member {who} is locked after {LOCK_AFTER} wrong codes; a supervisor "
                               f"unlocks the account (`unionaid staff unlock {who}`)")
    step = _matching_step(decrypt_with(_secret_key(), credential.secret_encrypted, "UNIONAID_STAFF_SECRET_KEY"),
                          claim.code.strip())
    if step is None:
        raise _refused(staff.id, who, "the one-time code is wrong or has expired; "  # type: ignore[arg-type]
                                      "type the code your authenticator app shows now")
    used = session.execute(
        update(StaffCredential)
        .where(col(StaffCredential.staff_id) == staff.id, col(StaffCredential.locked_at).is_(None),
               (col(StaffCredential.last_step).is_(None)) | (col(StaffCredential.last_step) < step))
        .values(last_step=step, failed_attempts=0)
        .execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]
    if used != 1:
        raise _refused(staff.id, who, "this one-time code was used already; "  # type: ignore[arg-type]
                                      "wait for the next code in your authenticator app")
    verified = Verified(who, TOTP)
    cache[(claim.staff_number, claim.code)] = verified
    return verified


def _matching_step(secret: str, code: str) -> int | None:
    if not (len(code) == DIGITS and code.isascii() and code.isdigit()):
        return None
    totp = _totp(secret)
    now = totp.timecode(clock())
    for step in range(now - WINDOW, now + WINDOW + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _refused(staff_id: int, staff_number: str, why: str) -> NotAuthenticated:
    """The refusal, carrying the failure to count once the command's transaction is rolled back."""
    error = NotAuthenticated(f"staff member {staff_number}: {why}")
    error.after_rollback = _count_failure(staff_id, staff_number)  # type: ignore[attr-defined]
    return error


def _count_failure(staff_id: int, staff_number: str) -> Callable[[Session], None]:
    def count(session: Session) -> None:
        session.execute(update(StaffCredential).where(col(StaffCredential.staff_id) == staff_id)
                        .values(failed_attempts=StaffCredential.failed_attempts + 1)
                        .execution_options(synchronize_session=False))
        credential = session.get(StaffCredential, staff_id, populate_existing=True)
        if credential is None:
            return
        append_event(session, actor=staff_number, action="authentication_failed",
                     payload={"staff_number": staff_number, "failed_attempts": credential.failed_attempts})
        if credential.failed_attempts >= LOCK_AFTER and credential.locked_at is None:
            credential.locked_at = utcnow()
            session.add(credential)
            append_event(session, actor=SYSTEM_ACTOR, action="staff_locked",
                         payload={"staff_number": staff_number, "failed_attempts": credential.failed_attempts})
    return count


def identify(session: Session, actor: Actor) -> Verified | None:
    """The person acting (``None`` for the system); a bare staff number is refused by name."""
    if isinstance(actor, Verified):
        return actor
    if isinstance(actor, StaffClaim):
        return verify(session, actor)
    if actor == SYSTEM_ACTOR:
        return None
    raise NotAuthenticated(f"staff member {shown_code(actor)} must prove who they are: give the one-time code "
                           "from their authenticator app")


# --- enrolment, by supervisors -----------------------------------------------------------------


def bootstrapping(session: Session) -> bool:
    """True while no supervisor has an active one-time code: a new installation, where the
    operator enrols the first supervisor."""
    rows = session.execute(select(Staff).join(StaffCredential, col(StaffCredential.staff_id) == Staff.id)
                           .where(col(StaffCredential.revoked_at).is_(None), col(Staff.active).is_(True))).scalars()
    return not any(staff.has_role(Role.supervisor) for staff in rows)


def require_supervisor(session: Session, by: Actor, doing: str) -> str | Verified:
    """The supervisor doing ``doing``, as the audit trail names them; the operator (``system``)
    only while bootstrapping. Refuses anyone else by name."""
    return require_setup(session, by, frozenset({Role.supervisor}), doing)


def require_setup(session: Session, by: Actor, roles: frozenset[Role], doing: str) -> str | Verified:
    """Who sets the installation up (units, staff, programmes, enrolment): a staff member with
    one of ``roles`` who proves who they are; the operator (``system``) only while bootstrapping."""
    if identify(session, by) is None:
        if bootstrapping(session):
            return SYSTEM_ACTOR
        needed = " or ".join(sorted(r.value for r in roles))
        raise RuleViolation(f"{doing} needs a {needed} who proves who they are (--as and --code)")
    return require_role(session, by, roles, doing)[1]


def enrol(staff_number: str, *, by: Actor, engine: Engine | None = None) -> Enrolment:
    """A new secret for ``staff_number`` (any earlier one stops working); the URI to scan."""
    with transaction(engine) as session:
        acting = require_supervisor(session, by, "enrolling staff")
        staff = _staff(session, staff_number)
        if not staff.active:
            raise RuleViolation(f"staff member {staff_number} is not active")
        secret = pyotp.random_base32()
        credential = _credential(session, staff) or StaffCredential(staff_id=staff.id, secret_encrypted="",  # type: ignore[arg-type]
                                                                    enrolled_at=utcnow())
        credential.secret_encrypted = encrypt_with(_secret_key(), secret)
        credential.enrolled_at, credential.last_step, credential.failed_attempts = utcnow(), None, 0
        credential.locked_at = credential.revoked_at = None
        session.add(credential)
        append_event(session, actor=acting, action="staff_enrolled",
                     payload={"staff_number": staff.staff_number, "method": TOTP})
        return Enrolment(staff.staff_number, _totp(secret).provisioning_uri(name=staff.staff_number))


def revoke(staff_number: str, *, by: Actor, engine: Engine | None = None) -> None:
    """The staff member's codes stop proving anything (a lost phone, someone leaving)."""
    with transaction(engine) as session:
        acting = require_supervisor(session, by, "revoking a one-time code")
        credential = _enrolled(session, staff_number)
        credential.revoked_at = utcnow()
        session.add(credential)
        append_event(session, actor=acting, action="staff_revoked",
                     payload={"staff_number": staff_number})


def unlock(staff_number: str, *, by: Actor, engine: Engine | None = None) -> None:
    """A locked account works again; its failure count starts at zero."""
    with transaction(engine) as session:
        acting = require_supervisor(session, by, "unlocking an account")
        credential = _enrolled(session, staff_number)
        credential.locked_at, credential.failed_attempts = None, 0
        session.add(credential)
        append_event(session, actor=acting, action="staff_unlocked",
                     payload={"staff_number": staff_number})


def _enrolled(session: Session, staff_number: str) -> StaffCredential:
    credential = _credential(session, _staff(session, staff_number))
    if credential is None:
        raise NotFound(f"staff member {staff_number} has no one-time code set up")
    return credential


def current_code(staff_number: str, *, engine: Engine | None = None) -> str:
    """The code a demo staff member's app would show now. Development only: anywhere else it
    is refused, since whoever can run it could act as anyone."""
    if get_settings().environment != "development":
        raise ConfigurationError("demo codes are for development only (UNIONAID_ENVIRONMENT=development)")
    with transaction(engine) as session:
        credential = _enrolled(session, staff_number)
        secret = decrypt_with(_secret_key(), credential.secret_encrypted, "UNIONAID_STAFF_SECRET_KEY")
        return _totp(secret).at(clock())


def require_role(session: Session, actor: Actor, roles: frozenset[Role], doing: str) -> tuple[Staff, Verified]:
    """The active staff member acting, proved, who holds one of ``roles``; refused by name
    otherwise (the system never does what needs a person)."""
    who = identify(session, actor)
    if who is None:
        raise RuleViolation(f"{doing} is done by a staff member who proves who they are, not by the system")
    staff = _staff(session, who.staff_number)
    if not staff.active:
        raise RuleViolation(f"staff member {staff.staff_number} is not active")
    if not staff.role_set & roles:
        needed = " or ".join(sorted(r.value for r in roles))
        raise RuleViolation(f"{doing} needs the role {needed}; {staff.staff_number} does not have it")
    return staff, who


def staff_of(session: Session, who: str | Verified) -> Staff | None:
    """The staff row of a proved identity; None for the system."""
    return _staff(session, who.staff_number) if isinstance(who, Verified) else None


def proven(actor: Actor, *, engine: Engine | None = None) -> str | Verified:
    """``actor`` checked in a transaction of its own, for a command that runs several (an
    import, row by row): its one code is used once, and each step acts as the identity proved."""
    with transaction(engine) as session:
        return identify(session, actor) or SYSTEM_ACTOR
