"""Per-source mention counts (``source_counts``, kept by molva.source_counts) and each answer time's source on
its brand mention (``brand_mentions.reply_source_id``, in a partial index of answered rows): the source health
and the answer times per source and per week without counting or joining every mention

Revision ID: 0107_read_speed_source_counts
Revises: 0106_report_speed_reply_delay
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0107_read_speed_source_counts'
down_revision: str | None = '0106_report_speed_reply_delay'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ANSWER_TIMES = ['published_at', 'brand', 'reply_source_id', 'addressed', 'reply_delay_ms', 'mention_id']


def upgrade() -> None:
    op.create_table('source_counts',
                    sa.Column('source_id', sa.Integer(), autoincrement=False, nullable=False),
                    sa.Column('mentions', sa.BigInteger(), nullable=False),
                    sa.PrimaryKeyConstraint('source_id', name=op.f('pk_source_counts')))
    # kept from now on by molva.source_counts (the ingestor, an ORM hook, molva.privacy)
    op.execute("INSERT INTO source_counts (source_id, mentions) "
               "SELECT source_id, count(*) FROM mentions GROUP BY source_id")
    with op.batch_alter_table('brand_mentions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reply_source_id', sa.Integer(), nullable=True))
    op.execute("UPDATE brand_mentions SET reply_source_id = (SELECT source_id FROM mentions "
               "WHERE mentions.id = brand_mentions.mention_id) WHERE reply_delay_ms IS NOT NULL")
    with op.batch_alter_table('brand_mentions', schema=None) as batch_op:
        batch_op.create_index('ix_brand_mentions_answer_times', ANSWER_TIMES, unique=False,
                              sqlite_where=sa.text('reply_delay_ms IS NOT NULL'),
                              postgresql_where=sa.text('reply_delay_ms IS NOT NULL'))


def downgrade() -> None:
    with op.batch_alter_table('brand_mentions', schema=None) as batch_op:
        batch_op.drop_index('ix_brand_mentions_answer_times')
        batch_op.drop_column('reply_source_id')
    op.drop_table('source_counts')
