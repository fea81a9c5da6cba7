"""gloss heads: the head word of each name of several words, for partial matches

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 02:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 1000


def upgrade() -> None:
    op.create_table(
        "gloss_head",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("lang", sa.String(length=16), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("lemma", sa.String(length=1000), nullable=False),
        sa.Column("things", sa.String(length=1000), nullable=False),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["entry.id"],
            name=op.f("fk_gloss_head_entry_id_entry"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gloss_head")),
    )
    with op.batch_alter_table("gloss_head", schema=None) as batch_op:
        batch_op.create_index("ix_gloss_head_entry_id", ["entry_id"], unique=False)
        batch_op.create_index(
            "ix_gloss_head_lemma_position_entry_id",
            ["lemma", "position", "entry_id"],
            unique=False,
        )
    # the heads of the names already stored, as the store writes them with new glosses
    from hyperlexicon.store import fill_gloss_heads

    fill_gloss_heads(op.get_bind(), BATCH)


def downgrade() -> None:
    with op.batch_alter_table("gloss_head", schema=None) as batch_op:
        batch_op.drop_index("ix_gloss_head_lemma_position_entry_id")
        batch_op.drop_index("ix_gloss_head_entry_id")
    op.drop_table("gloss_head")
