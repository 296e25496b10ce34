"""Per-source mention counts kept by triggers (``source_counts``) and each answer time's source on its brand
mention (``brand_mentions.reply_source_id``, in a partial index of answered rows): the source health and the
answer times per source and per week without counting or joining every mention

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

# PostgreSQL: one statement-level trigger per INSERT/DELETE statement (a bulk insert of 10,000 rows updates each
# source's row once, in source order); SQLite has row triggers only.
PG_FUNCTIONS = {
    "molva_source_counts_insert": "INSERT INTO source_counts (source_id, mentions) "
                                  "SELECT source_id, count(*) FROM changed_rows GROUP BY source_id ORDER BY source_id "
                                  "ON CONFLICT (source_id) DO UPDATE SET mentions = source_counts.mentions + "
                                  "excluded.mentions",
    "molva_source_counts_delete": "INSERT INTO source_counts (source_id, mentions) "
                                  "SELECT source_id, -count(*) FROM changed_rows GROUP BY source_id ORDER BY source_id "
                                  "ON CONFLICT (source_id) DO UPDATE SET mentions = source_counts.mentions + "
                                  "excluded.mentions",
    "molva_source_counts_truncate": "DELETE FROM source_counts",
}


def upgrade() -> None:
    op.create_table('source_counts',
                    sa.Column('source_id', sa.Integer(), autoincrement=False, nullable=False),
                    sa.Column('mentions', sa.BigInteger(), nullable=False),
                    sa.PrimaryKeyConstraint('source_id', name=op.f('pk_source_counts')))
    postgres = op.get_bind().dialect.name == 'postgresql'
    if postgres:
        for name, body in PG_FUNCTIONS.items():
            op.execute(f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN {body}; "
                       "RETURN NULL; END $$")
        op.execute("CREATE TRIGGER mentions_count_insert AFTER INSERT ON mentions REFERENCING NEW TABLE AS "
                   "changed_rows FOR EACH STATEMENT EXECUTE FUNCTION molva_source_counts_insert()")
        op.execute("CREATE TRIGGER mentions_count_delete AFTER DELETE ON mentions REFERENCING OLD TABLE AS "
                   "changed_rows FOR EACH STATEMENT EXECUTE FUNCTION molva_source_counts_delete()")
        op.execute("CREATE TRIGGER mentions_count_truncate AFTER TRUNCATE ON mentions "
                   "FOR EACH STATEMENT EXECUTE FUNCTION molva_source_counts_truncate()")
    else:
        op.execute("CREATE TRIGGER mentions_count_insert AFTER INSERT ON mentions BEGIN "
                   "INSERT INTO source_counts (source_id, mentions) VALUES (NEW.source_id, 1) "
                   "ON CONFLICT (source_id) DO UPDATE SET mentions = mentions + 1; END")
        op.execute("CREATE TRIGGER mentions_count_delete AFTER DELETE ON mentions BEGIN "
                   "INSERT INTO source_counts (source_id, mentions) VALUES (OLD.source_id, -1) "
                   "ON CONFLICT (source_id) DO UPDATE SET mentions = mentions - 1; END")
    # the mentions' source never changes (no code moves a mention): an UPDATE needs no trigger
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
    for name in ('mentions_count_insert', 'mentions_count_delete', 'mentions_count_truncate'):
        if op.get_bind().dialect.name == 'postgresql':
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON mentions")
        elif name != 'mentions_count_truncate':
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    if op.get_bind().dialect.name == 'postgresql':
        for name in PG_FUNCTIONS:
            op.execute(f"DROP FUNCTION IF EXISTS {name}()")
    op.drop_table('source_counts')
