"""brand_mentions.first_reply_known: whether the brand's first reply has a known time; the rollups recounted

A banki.ru Q&A answer already there when the question is first seen has no time (official_replies.replied_at_known
false): it counts as answered but not in the answer times, so its delay bucket leaves the rollups.

Revision ID: 0105_first_reply_known
Revises: 0104_i12_rollups
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0105_first_reply_known'
down_revision: str | None = '0102_i10_alerts'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('brand_mentions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('first_reply_known', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.drop_index('ix_brand_mentions_addressed')
        batch_op.create_index('ix_brand_mentions_addressed',
                              ['addressed', 'published_at', 'first_reply_at', 'first_reply_known', 'brand',
                               'mention_id'], unique=False)
    # known when a reply of known time is at the first reply's moment (first_reply_at is the earliest reply)
    op.execute(sa.text(
        "UPDATE brand_mentions SET first_reply_known = :yes WHERE first_reply_at IS NOT NULL AND EXISTS ("
        "SELECT 1 FROM official_replies r WHERE r.mention_id = brand_mentions.mention_id "
        "AND r.brand = brand_mentions.brand AND r.replied_at_known = :yes "
        "AND r.replied_at <= brand_mentions.first_reply_at)"
    ).bindparams(yes=True))
    # Counted here, not in 0104: molva.rollups reads this column. A later migration that changes what
    # molva.rollups.recount reads must move this rebuild after itself.
    from molva.rollups import rebuild

    rebuild(op.get_bind())


def downgrade() -> None:
    # the rollups keep no delay bucket for unknown times; `molva db rollups` at 0104 counts them back
    with op.batch_alter_table('brand_mentions', schema=None) as batch_op:
        batch_op.drop_index('ix_brand_mentions_addressed')
        batch_op.create_index('ix_brand_mentions_addressed',
                              ['addressed', 'published_at', 'first_reply_at', 'brand', 'mention_id'], unique=False)
        batch_op.drop_column('first_reply_known')
