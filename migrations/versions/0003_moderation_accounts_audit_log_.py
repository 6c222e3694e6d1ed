"""moderation: accounts, audit log, publication versions, search terms, export ledger

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 16:57:04.750523
"""
from alembic import op
import sqlalchemy as sa

import portal.db


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


APPEND_ONLY_SQLITE = [
    "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END",
    "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END",
]
APPEND_ONLY_POSTGRESQL = [
    "CREATE FUNCTION audit_log_append_only() RETURNS trigger AS $$ BEGIN "
    "RAISE EXCEPTION 'the audit log is append-only'; END; $$ LANGUAGE plpgsql",
    "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
    "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()",
]


def upgrade() -> None:
    op.create_table('moderators',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('password_hash', sa.String(length=200), nullable=True),
    sa.Column('is_admin', sa.Boolean(), nullable=False),
    sa.Column('disabled', sa.Boolean(), nullable=False),
    sa.Column('created_at', portal.db.UTCDateTime(), nullable=False),
    sa.Column('last_login_at', portal.db.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('email')
    )
    op.create_table('audit_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', portal.db.UTCDateTime(), nullable=False),
    sa.Column('moderator_id', sa.Integer(), nullable=True),
    sa.Column('actor', sa.String(length=254), nullable=False),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('story_id', sa.Integer(), nullable=True),
    sa.Column('detail', sa.String(length=300), nullable=True),
    sa.ForeignKeyConstraint(['moderator_id'], ['moderators.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index('ix_audit_at', ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_log_story_id'), ['story_id'], unique=False)

    op.create_table('exports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', portal.db.UTCDateTime(), nullable=False),
    sa.Column('moderator_id', sa.Integer(), nullable=True),
    sa.Column('actor', sa.String(length=254), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('outlet', sa.String(length=200), nullable=True),
    sa.Column('item_count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['moderator_id'], ['moderators.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('story_terms',
    sa.Column('term', sa.BigInteger(), nullable=False),
    sa.Column('story_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['story_id'], ['stories.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('term', 'story_id')
    )
    with op.batch_alter_table('story_terms', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_story_terms_story_id'), ['story_id'], unique=False)

    op.create_table('export_items',
    sa.Column('export_id', sa.Integer(), nullable=False),
    sa.Column('story_id', sa.Integer(), nullable=False),
    sa.Column('story_version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['export_id'], ['exports.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('export_id', 'story_id')
    )
    with op.batch_alter_table('export_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_export_items_story_id'), ['story_id'], unique=False)

    with op.batch_alter_table('stories', schema=None) as batch_op:
        batch_op.add_column(sa.Column('publication_title_enc', sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column('publication_text_enc', sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column('version', sa.Integer(), nullable=False, server_default='1'))
        batch_op.add_column(sa.Column('approved_at', portal.db.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('rejection_reason', sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column('reviewer_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('review_started_at', portal.db.UTCDateTime(), nullable=True))
        batch_op.create_foreign_key('fk_stories_reviewer_id_moderators', 'moderators', ['reviewer_id'], ['id'])
        batch_op.create_index('ix_stories_language', ['language'], unique=False)
        batch_op.create_index('ix_stories_state', ['state'], unique=False)


    # The audit log only grows: the database itself refuses to change or remove a row (M5).
    dialect = op.get_bind().dialect.name
    for statement in {"sqlite": APPEND_ONLY_SQLITE, "postgresql": APPEND_ONLY_POSTGRESQL}.get(dialect, []):
        op.execute(statement)

def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log")
        op.execute("DROP FUNCTION IF EXISTS audit_log_append_only()")
    with op.batch_alter_table('stories', schema=None) as batch_op:
        batch_op.drop_index('ix_stories_state')
        batch_op.drop_index('ix_stories_language')
        batch_op.drop_constraint('fk_stories_reviewer_id_moderators', type_='foreignkey')
        batch_op.drop_column('review_started_at')
        batch_op.drop_column('reviewer_id')
        batch_op.drop_column('rejection_reason')
        batch_op.drop_column('approved_at')
        batch_op.drop_column('version')
        batch_op.drop_column('publication_text_enc')
        batch_op.drop_column('publication_title_enc')

    with op.batch_alter_table('export_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_export_items_story_id'))

    op.drop_table('export_items')
    with op.batch_alter_table('story_terms', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_story_terms_story_id'))

    op.drop_table('story_terms')
    op.drop_table('exports')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_log_story_id'))
        batch_op.drop_index('ix_audit_at')

    op.drop_table('audit_log')
    op.drop_table('moderators')
