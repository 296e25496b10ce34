"""brand_mentions.reply_delay_ms (the first reply's delay when its time is known) in the addressed index and in
an index of each brand's answer times in order, a partial index of official posts (answer-time medians without
reading timestamps or joining every mention), and brand_rollups by metric and brand (long periods summed
without sorting every rollup row)

Revision ID: 0106_report_speed_reply_delay
Revises: 0105_first_reply_known
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0106_report_speed_reply_delay'
down_revision: str | None = '0105_first_reply_known'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_ADDRESSED = ['addressed', 'published_at', 'first_reply_at', 'first_reply_known', 'brand', 'mention_id']


def upgrade() -> None:
    with op.batch_alter_table('brand_mentions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reply_delay_ms', sa.BigInteger(), nullable=True))
        batch_op.drop_index('ix_brand_mentions_addressed')
    # exact integer arithmetic (as molva.rollups.reply_delay_ms): microseconds, clamped at 0, rounded half up
    if op.get_bind().dialect.name == 'postgresql':
        micro = ("(extract(epoch FROM date_trunc('second', first_reply_at) - date_trunc('second', published_at))"
                 "::bigint * 1000000 + extract(microseconds FROM first_reply_at)::bigint % 1000000"
                 " - extract(microseconds FROM published_at)::bigint % 1000000)")
        delay = f"(GREATEST({micro}, 0) + 500) / 1000"
    else:  # SQLite keeps "YYYY-MM-DD HH:MM:SS.ffffff" (UTC)
        micro = ("((CAST(strftime('%s', substr(first_reply_at, 1, 19)) AS INTEGER)"
                 " - CAST(strftime('%s', substr(published_at, 1, 19)) AS INTEGER))"
                 " * 1000000 + CAST(substr(first_reply_at, 21, 6) AS INTEGER)"
                 " - CAST(substr(published_at, 21, 6) AS INTEGER))")
        delay = f"(max({micro}, 0) + 500) / 1000"
    op.execute(sa.text(f"UPDATE brand_mentions SET reply_delay_ms = {delay} "
                       "WHERE first_reply_at IS NOT NULL AND first_reply_known = :yes").bindparams(yes=True))
    with op.batch_alter_table('brand_mentions', schema=None) as batch_op:
        batch_op.create_index('ix_brand_mentions_addressed', [*OLD_ADDRESSED, 'reply_delay_ms'], unique=False)
        batch_op.create_index('ix_brand_mentions_reply_delay',
                              ['brand', 'reply_delay_ms', 'addressed', 'published_at', 'mention_id'], unique=False,
                              sqlite_where=sa.text('reply_delay_ms IS NOT NULL'),
                              postgresql_where=sa.text('reply_delay_ms IS NOT NULL'))
    with op.batch_alter_table('brand_rollups', schema=None) as batch_op:
        batch_op.create_index('ix_brand_rollups_metric_brand',
                              ['metric', 'brand', 'value', 'official', 'hour', 'source_id', 'count'], unique=False)
    with op.batch_alter_table('mentions', schema=None) as batch_op:
        batch_op.create_index('ix_mentions_official', ['id'], unique=False,
                              sqlite_where=sa.text('official_brand IS NOT NULL'),
                              postgresql_where=sa.text('official_brand IS NOT NULL'))


def downgrade() -> None:
    with op.batch_alter_table('brand_rollups', schema=None) as batch_op:
        batch_op.drop_index('ix_brand_rollups_metric_brand')
    with op.batch_alter_table('mentions', schema=None) as batch_op:
        batch_op.drop_index('ix_mentions_official')
    with op.batch_alter_table('brand_mentions', schema=None) as batch_op:
        batch_op.drop_index('ix_brand_mentions_reply_delay')
        batch_op.drop_index('ix_brand_mentions_addressed')
        batch_op.create_index('ix_brand_mentions_addressed', OLD_ADDRESSED, unique=False)
        batch_op.drop_column('reply_delay_ms')
