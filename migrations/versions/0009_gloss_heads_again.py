"""gloss heads found again: English prepositions of place end a name's head too

"sun *behind* cloud" is a sun, no longer a cloud: the words that end an English name's head
(``morphology._NAME_BREAKS``) are now every preposition the bridge knows, one list with the
grammar's. The rows of ``gloss_head`` are derived from the names; this finds them again.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 05:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    from hyperlexicon.store import fill_gloss_heads

    fill_gloss_heads(op.get_bind())


def downgrade() -> None:
    # the heads stay as found: 0008's table has no record of how an older rule found them,
    # and a head found by this rule is one that rule's reader reads the same way
    pass
