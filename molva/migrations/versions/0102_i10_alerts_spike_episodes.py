"""spikes: episodes with a status, their cause (details) and the last update

Revision ID: 0102_i10_alerts
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0102_i10_alerts'
down_revision: str | None = '0104_i12_rollups'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('spikes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status', sa.String(length=10), server_default='ended', nullable=False))
        batch_op.add_column(sa.Column('details', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('spikes', schema=None) as batch_op:
        batch_op.drop_column('updated_at')
        batch_op.drop_column('details')
        batch_op.drop_column('status')
