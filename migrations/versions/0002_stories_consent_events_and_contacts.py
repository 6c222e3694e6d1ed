"""stories, consent events and contacts

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 16:36:32.424630
"""
from alembic import op
import sqlalchemy as sa

import portal.db


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('stories',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('receipt_hash', sa.String(length=64), nullable=False),
    sa.Column('status', sa.Enum('new', 'in_review', 'approved', 'rejected', 'needs_legal_review', 'withdrawn', name='storystatus', native_enum=False, length=24), nullable=False),
    sa.Column('language', sa.String(length=5), nullable=False),
    sa.Column('state', sa.String(length=2), nullable=True),
    sa.Column('connection', sa.Enum('separated', 'family_member', 'witness', 'other', name='connection', native_enum=False, length=24), nullable=False),
    sa.Column('year', sa.Integer(), nullable=True),
    sa.Column('method', sa.Enum('web', 'paper', name='intakemethod', native_enum=False, length=24), nullable=False),
    sa.Column('title_enc', sa.LargeBinary(), nullable=True),
    sa.Column('text_enc', sa.LargeBinary(), nullable=True),
    sa.Column('photo_name', sa.String(length=64), nullable=True),
    sa.Column('consent_publish', sa.Boolean(), nullable=False),
    sa.Column('consent_press', sa.Boolean(), nullable=False),
    sa.Column('consent_quote', sa.Boolean(), nullable=False),
    sa.Column('consent_photo', sa.Boolean(), nullable=False),
    sa.Column('credit', sa.Enum('none', 'first_name', 'full_name', name='credit', native_enum=False, length=24), nullable=False),
    sa.Column('submitted_at', portal.db.UTCDateTime(), nullable=False),
    sa.Column('status_changed_at', portal.db.UTCDateTime(), nullable=False),
    sa.Column('withdrawn_at', portal.db.UTCDateTime(), nullable=True),
    sa.Column('purged_at', portal.db.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('receipt_hash')
    )
    with op.batch_alter_table('stories', schema=None) as batch_op:
        batch_op.create_index('ix_stories_status_submitted', ['status', 'submitted_at'], unique=False)

    op.create_table('consent_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('story_id', sa.Integer(), nullable=False),
    sa.Column('change', sa.Enum('given', 'narrowed', 'withdrawn', name='consentchange', native_enum=False, length=24), nullable=False),
    sa.Column('recorded_at', portal.db.UTCDateTime(), nullable=False),
    sa.Column('text_version', sa.String(length=40), nullable=False),
    sa.Column('language', sa.String(length=5), nullable=False),
    sa.Column('text_sha256', sa.String(length=64), nullable=False),
    sa.Column('method', sa.Enum('web', 'paper', name='intakemethod', native_enum=False, length=24), nullable=False),
    sa.Column('keep_for_review', sa.Boolean(), nullable=False),
    sa.Column('publish', sa.Boolean(), nullable=False),
    sa.Column('press', sa.Boolean(), nullable=False),
    sa.Column('quote', sa.Boolean(), nullable=False),
    sa.Column('photo', sa.Boolean(), nullable=False),
    sa.Column('credit', sa.Enum('none', 'first_name', 'full_name', name='credit', native_enum=False, length=24), nullable=False),
    sa.Column('age', sa.Enum('adult', 'guardian', name='ageconfirmation', native_enum=False, length=24), nullable=True),
    sa.ForeignKeyConstraint(['story_id'], ['stories.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('consent_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consent_events_story_id'), ['story_id'], unique=False)

    op.create_table('story_contacts',
    sa.Column('story_id', sa.Integer(), nullable=False),
    sa.Column('email_enc', sa.LargeBinary(), nullable=True),
    sa.Column('phone_enc', sa.LargeBinary(), nullable=True),
    sa.Column('credited_name_enc', sa.LargeBinary(), nullable=True),
    sa.ForeignKeyConstraint(['story_id'], ['stories.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('story_id')
    )


def downgrade() -> None:
    op.drop_table('story_contacts')
    with op.batch_alter_table('consent_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consent_events_story_id'))

    op.drop_table('consent_events')
    with op.batch_alter_table('stories', schema=None) as batch_op:
        batch_op.drop_index('ix_stories_status_submitted')

    op.drop_table('stories')
