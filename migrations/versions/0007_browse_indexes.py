"""browsing: entry indexes for the kind and weight orders

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 13:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("entry", schema=None) as batch_op:
        batch_op.create_index(
            "ix_entry_lexicon_id_kind_form_key", ["lexicon_id", "kind", "form_key"], unique=False
        )
        batch_op.create_index(
            "ix_entry_lexicon_id_weight_form_key",
            ["lexicon_id", "weight", "form_key"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("entry", schema=None) as batch_op:
        batch_op.drop_index("ix_entry_lexicon_id_weight_form_key")
        batch_op.drop_index("ix_entry_lexicon_id_kind_form_key")
