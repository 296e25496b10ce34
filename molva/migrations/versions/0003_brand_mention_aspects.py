"""brand_mentions.aspects: what each brand mention is about

Revision ID: 0003
Revises: 5d0c66f0afb4
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0003'
down_revision: str | None = '5d0c66f0afb4'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('brand_mentions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('aspects', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('brand_mentions', schema=None) as batch_op:
        batch_op.drop_column('aspects')
