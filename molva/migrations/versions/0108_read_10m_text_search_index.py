"""Trigram indexes on mentions' text and title (PostgreSQL only, extension pg_trgm): the explorer's ``LIKE '%…%'``
search reads the index instead of every post (SQLite: no change)

The explorer looks for word stems with ``LIKE '%stem%'`` (molva.metrics.explorer); without an index PostgreSQL
reads every post (2.7 s at 10,000,000 mentions). A GIN index with ``gin_trgm_ops`` answers the same ``LIKE`` (the
rows it finds are rechecked against the pattern, so the results are unchanged). pg_trgm ships with PostgreSQL
(contrib) and is a trusted extension: the database's owner may create it. Building the indexes locks writes to
``mentions`` while it runs (minutes at 10,000,000 mentions).

Revision ID: 0108_read_10m_text_search_index
Revises: 0107_read_speed_source_counts
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0108_read_10m_text_search_index'
down_revision: str | None = '0107_read_speed_source_counts'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = {'ix_mentions_text_trgm': 'text', 'ix_mentions_title_trgm': 'title'}


def upgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute('CREATE EXTENSION IF NOT EXISTS pg_trgm')
    for name, column in INDEXES.items():
        op.create_index(name, 'mentions', [column], unique=False, postgresql_using='gin',
                        postgresql_ops={column: 'gin_trgm_ops'})


def downgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    for name in INDEXES:
        op.drop_index(name, table_name='mentions')
