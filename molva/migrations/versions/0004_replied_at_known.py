"""official_replies.replied_at_known: False when the reply time is only when it was first seen

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('official_replies', schema=None) as batch_op:
        batch_op.add_column(sa.Column('replied_at_known', sa.Boolean(), server_default=sa.true(), nullable=False))
    # banki.ru Q&A answers carry no date on the page: the ones stored so far are dated by first sight.
    op.execute(sa.text("UPDATE official_replies SET replied_at_known = false "
                       "WHERE reply_external_id LIKE 'qa-%/answer'"))


def downgrade() -> None:
    with op.batch_alter_table('official_replies', schema=None) as batch_op:
        batch_op.drop_column('replied_at_known')
