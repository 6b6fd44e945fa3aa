"""The error tree of unionaid, translated for users at the boundary (CLI, flows).

    UnionaidError                 every error we raise on purpose; ``str()`` is safe to show
    ├── InputError                bad input from a person or a file; names the field and the rule
    │   └── ValidationFailed      several InputErrors at once (one per field or row)
    ├── NotFound                  a case, member, staff member or programme that does not exist
    ├── NotAuthenticated          a person did not prove who they are (no code, a wrong or used
    │                             code, a locked or revoked account); says what to do
    ├── RuleViolation             a domain rule refused the request
    │   └── TransitionRefused     a case's move refused; names case, from, to and the rule (``rule``)
    │       ├── NoSuchMove        the transition table has no such move for the case's type
    │       ├── PersonRequired    the system (a flow) tried a move only a person may make
    │       ├── SystemOnly        a person tried a move only the system makes (a check's result,
    │       │                     the payment provider's answer, a clock)
    │       ├── RoleRequired      the staff member lacks every role the move allows
    │       └── FourEyesViolation the submitter of a case tried to decide on it
    ├── ConflictError             someone else changed the same thing first; reload and retry
    │   └── StaleCase             the case's status or version moved under us
    ├── ConfigurationError        settings are missing or unsafe; names the variable to set
    ├── AuditChainBroken          the audit trail does not verify; names the first bad sequence
    ├── RecordDisagrees           a row says what the audit trail does not (an amount edited
    │                             after approval): no money moves on it; finance must look
    └── ExternalServiceError      a service outside our walls (payment provider, registry)
        ├── RetryableError        definitely not done; safe to try again (429, 503 before commit)
        ├── PermanentError        definitely refused; retrying will not help (400, 401, bad data)
        └── OutcomeUnknown        we cannot know whether it happened (timeout, lost response, 5xx)

No message here ever contains personal data: callers pass masked values or none at all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


class UnionaidError(Exception):
    """Base of every error unionaid raises on purpose. Its text is safe to show to staff."""


@dataclass(frozen=True)
class FieldProblem:
    """One thing wrong with one field: where (``row`` for files), which field, what is wrong."""

    field: str
    problem: str
    row: int | None = None

    def __str__(self) -> str:
        where = f"row {self.row}: " if self.row is not None else ""
        return f"{where}{self.field}: {self.problem}"


_NAMEABLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,39}")


def field_path(loc: tuple[int | str, ...]) -> str:
    """A validation error's location as a field path (``household.0.name``). A key that is not a
    plain field name is shown as ``?``: an unknown key is typed by someone, and may be a value
    (an ID number, a name) put where a field name belongs, so it is never repeated."""
    return ".".join(str(p) if isinstance(p, int) or _NAMEABLE.fullmatch(p) else "?" for p in loc)


_CODE = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,31}")


def shown_code(value: str) -> str:
    """A code a person typed (a household or case number), for a message: as typed when it looks
    like one (a letter, then letters, digits, - and _), else not repeated, since an ID number or a
    name typed in the wrong field would be."""
    return value if _CODE.fullmatch(value) else "(the number typed)"


class InputError(UnionaidError):
    """Bad input: the message names the field and the rule it breaks, never the value."""

    def __init__(self, field: str, problem: str, row: int | None = None) -> None:
        self.problem_detail = FieldProblem(field, problem, row)
        super().__init__(str(self.problem_detail))

    @property
    def field(self) -> str:
        return self.problem_detail.field


class ValidationFailed(InputError):
    """Several field problems found at once; nothing was stored."""

    def __init__(self, problems: list[FieldProblem]) -> None:
        self.problems = problems
        first = problems[0] if problems else FieldProblem("input", "invalid")
        UnionaidError.__init__(self, "; ".join(str(p) for p in problems) or str(first))
        self.problem_detail = first


class NotFound(UnionaidError):
    """The thing asked for does not exist."""


class NotAuthenticated(UnionaidError):
    """Keeps identity: a person's decision counts only when they proved who they are with a
    one-time code of their own. The message says why not and what to do, never the code."""


class RuleViolation(UnionaidError):
    """A domain rule refused the request; the message says which rule."""


class TransitionRefused(RuleViolation):
    """Keeps the case lifecycle: only moves listed in the transition table, by the roles listed.
    ``rule`` names the move's action (``approve``), or ``transition_table`` for a move not listed."""

    def __init__(self, case_number: str, from_status: str, to_status: str, why: str,
                 rule: str = "transition_table") -> None:
        self.case_number = case_number
        self.from_status = from_status
        self.to_status = to_status
        self.why = why
        self.rule = rule
        super().__init__(f"case {case_number}: cannot move from {from_status} to {to_status}: {why}")


class NoSuchMove(TransitionRefused):
    """Keeps the lifecycle: a move the case type's transition table does not list is never made."""


class PersonRequired(TransitionRefused):
    """Keeps people accountable: a decision only a person may take is never taken by a flow."""


class SystemOnly(TransitionRefused):
    """Keeps the checks and the money path honest: what the system found or was told (verification
    passed, a payout succeeded or failed, a deadline passed) is never typed in by hand."""


class RoleRequired(TransitionRefused):
    """Keeps duties apart: a move is made only by a staff member holding one of its roles."""


class FourEyesViolation(TransitionRefused):
    """Keeps four-eyes: whoever submitted a case never decides on it."""


class GuardRefused(TransitionRefused):
    """Keeps the rules a move names beyond roles (a public notice still running, a clock, an
    enrolment): the move waits until its guard allows it. ``rule`` names the guard; the message
    is the guard's own sentence, which names the case."""

    def __init__(self, case_number: str, from_status: str, to_status: str, why: str, rule: str) -> None:
        self.case_number, self.from_status, self.to_status, self.why, self.rule = (
            case_number, from_status, to_status, why, rule)
        RuleViolation.__init__(self, why)


class ConflictError(UnionaidError):
    """Someone else changed the same record first; reload and try again."""


class StaleCase(ConflictError):
    """Keeps optimistic concurrency: a transition applies only to the status and version it read."""

    def __init__(self, case_number: str, expected_status: str, expected_version: int) -> None:
        super().__init__(
            f"case {case_number} was changed by someone else "
            f"(expected {expected_status} at version {expected_version}); reload it and try again"
        )


class ConfigurationError(UnionaidError):
    """Settings are missing or unsafe; the message names the variable to set."""


class RecordDisagrees(UnionaidError):
    """Keeps money to the trail: a payout is sent only for the amount the approval's audit event
    recorded. Raised when a stored row disagrees; names case and payout, never personal data."""


class AuditChainBroken(UnionaidError):
    """Keeps the audit trail tamper-evident: every row hashes over its predecessor."""

    def __init__(self, seq: int, what: str) -> None:
        self.seq = seq
        self.what = what
        super().__init__(f"audit chain broken at sequence {seq}: {what}")


class ExternalServiceError(UnionaidError):
    """A call to a service outside our walls did not succeed."""


class RetryableError(ExternalServiceError):
    """Definitely not done; the same request may be sent again later."""


class PermanentError(ExternalServiceError):
    """Definitely refused; sending it again will not help."""


class OutcomeUnknown(ExternalServiceError):
    """We cannot tell whether the request took effect: query by reference before anything else."""
