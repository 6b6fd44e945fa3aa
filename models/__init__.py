"""Tables, enums, the transition table and pure rules. Nothing here opens a session or calls HTTP.

Importing this package registers every table on ``SQLModel.metadata`` (Alembic reads it).
"""

from models import (  # noqa: F401  (registers tables)
    assistance,
    audit,
    campaigns,
    cases,
    clocks,
    insurance,
    ledger,
    mediation,
    members,
    notices,
    obligations,
    org,
    payouts,
    reconciliation,
)
