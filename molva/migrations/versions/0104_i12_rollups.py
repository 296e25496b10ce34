"""brand_rollups (counts per brand × hour × source × official), brand_mentions.first_reply_at and an index of
the addressed rows

Revision ID: 0104_i12_rollups
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0104_i12_rollups'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'brand_rollups',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('brand', sa.String(length=100), nullable=False),
        sa.Column('hour', sa.DateTime(timezone=True), nullable=False),
        sa.Column('source_id', sa.Integer(), nullable=False),
        sa.Column('official', sa.Boolean(), nullable=False),
        sa.Column('metric', sa.String(length=20), nullable=False),
        sa.Column('value', sa.String(length=60), nullable=False),
        sa.Column('count', sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(['source_id'], ['sources.id'], name=op.f('fk_brand_rollups_source_id_sources'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_brand_rollups')),
        sa.UniqueConstraint('brand', 'hour', 'source_id', 'official', 'metric', 'value',
                            name=op.f('uq_brand_rollups_brand_hour_source_id_official_metric_value')),
    )
    with op.batch_alter_table('brand_rollups', schema=None) as batch_op:
        batch_op.create_index('ix_brand_rollups_metric_hour',
                              ['metric', 'hour', 'brand', 'source_id', 'official', 'value', 'count'], unique=False)
    with op.batch_alter_table('brand_mentions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('first_reply_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_brand_mentions_addressed',
                              ['addressed', 'published_at', 'first_reply_at', 'brand', 'mention_id'], unique=False)
    op.execute(
        "UPDATE brand_mentions SET first_reply_at = (SELECT min(r.replied_at) FROM official_replies r "
        "WHERE r.mention_id = brand_mentions.mention_id AND r.brand = brand_mentions.brand)"
    )
    # The rollups are counted from the raw rows by 0105_first_reply_known (molva.rollups reads its column too).


def downgrade() -> None:
    with op.batch_alter_table('brand_mentions', schema=None) as batch_op:
        batch_op.drop_index('ix_brand_mentions_addressed')
        batch_op.drop_column('first_reply_at')
    with op.batch_alter_table('brand_rollups', schema=None) as batch_op:
        batch_op.drop_index('ix_brand_rollups_metric_hour')
    op.drop_table('brand_rollups')
