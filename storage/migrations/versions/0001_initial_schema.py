"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-23
"""
import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('action', sa.String(length=50), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log'))
    )
    op.create_table('bot_state',
    sa.Column('key', sa.String(length=500), nullable=False),
    sa.Column('etag', sa.String(length=64), nullable=False),
    sa.Column('data', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_bot_state'))
    )
    op.create_table('conversation_references',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('aad_object_id', sa.String(length=64), nullable=False),
    sa.Column('conversation_id', sa.String(length=400), nullable=False),
    sa.Column('conversation_type', sa.String(length=20), nullable=False),
    sa.Column('tenant_id', sa.String(length=64), nullable=True),
    sa.Column('service_url', sa.String(length=400), nullable=False),
    sa.Column('channel_id', sa.String(length=40), nullable=False),
    sa.Column('locale', sa.String(length=20), nullable=True),
    sa.Column('reference', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_conversation_references')),
    sa.UniqueConstraint('aad_object_id', 'conversation_id', name='uq_conversation_user')
    )
    with op.batch_alter_table('conversation_references', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_conversation_references_aad_object_id'), ['aad_object_id'], unique=False)

    op.create_table('organization',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('default_language', sa.String(length=2), nullable=False),
    sa.Column('mentor_weekly_minutes', sa.Integer(), nullable=False),
    sa.Column('offer_timeout_minutes', sa.Float(), nullable=False),
    sa.Column('working_hours_start', sa.String(length=5), nullable=False),
    sa.Column('working_hours_end', sa.String(length=5), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_organization'))
    )
    op.create_table('processed_activities',
    sa.Column('activity_key', sa.String(length=500), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('activity_key', name=op.f('pk_processed_activities'))
    )
    with op.batch_alter_table('processed_activities', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_processed_activities_received_at'), ['received_at'], unique=False)

    op.create_table('units',
    sa.Column('id', sa.String(length=100), nullable=False),
    sa.Column('parent_id', sa.String(length=100), nullable=True),
    sa.Column('names', sa.JSON(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['parent_id'], ['units.id'], name=op.f('fk_units_parent_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_units'))
    )
    with op.batch_alter_table('units', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_units_parent_id'), ['parent_id'], unique=False)

    op.create_table('people',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('aad_object_id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=True),
    sa.Column('unit_id', sa.String(length=100), nullable=True),
    sa.Column('languages', sa.JSON(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_people_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_people')),
    sa.UniqueConstraint('aad_object_id', name=op.f('uq_people_aad_object_id'))
    )
    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_people_unit_id'), ['unit_id'], unique=False)

    op.create_table('coordinator_scopes',
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.String(length=100), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_coordinator_scopes_person_id_people'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_coordinator_scopes_unit_id_units')),
    sa.PrimaryKeyConstraint('person_id', 'unit_id', name=op.f('pk_coordinator_scopes'))
    )
    op.create_table('faq_entries',
    sa.Column('id', sa.String(length=100), nullable=False),
    sa.Column('topic', sa.String(length=50), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('links', sa.JSON(), nullable=False),
    sa.Column('proposed_by', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['proposed_by'], ['people.id'], name=op.f('fk_faq_entries_proposed_by_people')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_faq_entries'))
    )
    op.create_table('mentor_profiles',
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('topics', sa.JSON(), nullable=False),
    sa.Column('weekly_minutes', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('away_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reachable', sa.Boolean(), nullable=False),
    sa.Column('last_send_refused_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_mentor_profiles_person_id_people'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('person_id', name=op.f('pk_mentor_profiles'))
    )
    op.create_table('person_roles',
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.CheckConstraint("role IN ('employee', 'mentor', 'coordinator', 'admin')", name=op.f('ck_person_roles_known_role')),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_person_roles_person_id_people'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('person_id', 'role', name=op.f('pk_person_roles'))
    )
    op.create_table('faq_translations',
    sa.Column('entry_id', sa.String(length=100), nullable=False),
    sa.Column('language', sa.String(length=2), nullable=False),
    sa.Column('question', sa.Text(), nullable=False),
    sa.Column('variants', sa.JSON(), nullable=False),
    sa.Column('answer', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['entry_id'], ['faq_entries.id'], name=op.f('fk_faq_translations_entry_id_faq_entries'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('entry_id', 'language', name=op.f('pk_faq_translations'))
    )
    op.create_table('questions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('asker_aad_object_id', sa.String(length=64), nullable=False),
    sa.Column('asker_person_id', sa.Integer(), nullable=True),
    sa.Column('unit_id', sa.String(length=100), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('language', sa.String(length=2), nullable=False),
    sa.Column('outcome', sa.String(length=20), nullable=False),
    sa.Column('faq_entry_id', sa.String(length=100), nullable=True),
    sa.Column('score', sa.Float(), nullable=True),
    sa.Column('masked_items', sa.Integer(), nullable=False),
    sa.Column('asked_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['asker_person_id'], ['people.id'], name=op.f('fk_questions_asker_person_id_people')),
    sa.ForeignKeyConstraint(['faq_entry_id'], ['faq_entries.id'], name=op.f('fk_questions_faq_entry_id_faq_entries'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_questions_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_questions'))
    )
    with op.batch_alter_table('questions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_questions_asked_at'), ['asked_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_questions_asker_aad_object_id'), ['asker_aad_object_id'], unique=False)

    op.create_table('faq_feedback',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('faq_entry_id', sa.String(length=100), nullable=True),
    sa.Column('helpful', sa.Boolean(), nullable=False),
    sa.Column('given_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['faq_entry_id'], ['faq_entries.id'], name=op.f('fk_faq_feedback_faq_entry_id_faq_entries'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['question_id'], ['questions.id'], name=op.f('fk_faq_feedback_question_id_questions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_faq_feedback')),
    sa.UniqueConstraint('question_id', name='uq_faq_feedback_question')
    )
    op.create_table('help_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=True),
    sa.Column('asker_person_id', sa.Integer(), nullable=True),
    sa.Column('asker_aad_object_id', sa.String(length=64), nullable=False),
    sa.Column('unit_id', sa.String(length=100), nullable=True),
    sa.Column('language', sa.String(length=2), nullable=False),
    sa.Column('topic', sa.String(length=50), nullable=True),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('tier', sa.Integer(), nullable=False),
    sa.Column('assigned_mentor_id', sa.Integer(), nullable=True),
    sa.Column('next_escalation_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['asker_person_id'], ['people.id'], name=op.f('fk_help_requests_asker_person_id_people')),
    sa.ForeignKeyConstraint(['assigned_mentor_id'], ['people.id'], name=op.f('fk_help_requests_assigned_mentor_id_people')),
    sa.ForeignKeyConstraint(['question_id'], ['questions.id'], name=op.f('fk_help_requests_question_id_questions')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_help_requests_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_help_requests')),
    sa.UniqueConstraint('question_id', name=op.f('uq_help_requests_question_id'))
    )
    with op.batch_alter_table('help_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_help_requests_assigned_mentor_id'), ['assigned_mentor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_help_requests_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_help_requests_next_escalation_at'), ['next_escalation_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_help_requests_state'), ['state'], unique=False)
        batch_op.create_index(batch_op.f('ix_help_requests_unit_id'), ['unit_id'], unique=False)

    op.create_table('feedback',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('rating', sa.Integer(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('given_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('rating BETWEEN 1 AND 5', name=op.f('ck_feedback_rating_range')),
    sa.ForeignKeyConstraint(['request_id'], ['help_requests.id'], name=op.f('fk_feedback_request_id_help_requests'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feedback')),
    sa.UniqueConstraint('request_id', name=op.f('uq_feedback_request_id'))
    )
    op.create_table('mentor_time_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('mentor_id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=True),
    sa.Column('unit_id', sa.String(length=100), nullable=True),
    sa.Column('minutes', sa.Integer(), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('logged_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('minutes > 0 AND minutes <= 1440', name=op.f('ck_mentor_time_entries_sane_minutes')),
    sa.ForeignKeyConstraint(['mentor_id'], ['people.id'], name=op.f('fk_mentor_time_entries_mentor_id_people')),
    sa.ForeignKeyConstraint(['request_id'], ['help_requests.id'], name=op.f('fk_mentor_time_entries_request_id_help_requests')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_mentor_time_entries_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mentor_time_entries')),
    sa.UniqueConstraint('request_id', name=op.f('uq_mentor_time_entries_request_id'))
    )
    with op.batch_alter_table('mentor_time_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mentor_time_entries_logged_at'), ['logged_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_mentor_time_entries_mentor_id'), ['mentor_id'], unique=False)

    op.create_table('request_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('actor_person_id', sa.Integer(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['actor_person_id'], ['people.id'], name=op.f('fk_request_events_actor_person_id_people')),
    sa.ForeignKeyConstraint(['request_id'], ['help_requests.id'], name=op.f('fk_request_events_request_id_help_requests'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_request_events'))
    )
    with op.batch_alter_table('request_events', schema=None) as batch_op:
        batch_op.create_index('ix_request_events_kind_at', ['kind', 'at'], unique=False)
        batch_op.create_index('ix_request_events_request_kind', ['request_id', 'kind'], unique=False)

    op.create_table('request_offers',
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('mentor_id', sa.Integer(), nullable=False),
    sa.Column('tier', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('conversation_id', sa.String(length=400), nullable=True),
    sa.Column('activity_id', sa.String(length=200), nullable=True),
    sa.Column('offered_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['mentor_id'], ['people.id'], name=op.f('fk_request_offers_mentor_id_people')),
    sa.ForeignKeyConstraint(['request_id'], ['help_requests.id'], name=op.f('fk_request_offers_request_id_help_requests'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('request_id', 'mentor_id', name=op.f('pk_request_offers'))
    )


def downgrade() -> None:
    op.drop_table('request_offers')
    with op.batch_alter_table('request_events', schema=None) as batch_op:
        batch_op.drop_index('ix_request_events_request_kind')
        batch_op.drop_index('ix_request_events_kind_at')

    op.drop_table('request_events')
    with op.batch_alter_table('mentor_time_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mentor_time_entries_mentor_id'))
        batch_op.drop_index(batch_op.f('ix_mentor_time_entries_logged_at'))

    op.drop_table('mentor_time_entries')
    op.drop_table('feedback')
    with op.batch_alter_table('help_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_help_requests_unit_id'))
        batch_op.drop_index(batch_op.f('ix_help_requests_state'))
        batch_op.drop_index(batch_op.f('ix_help_requests_next_escalation_at'))
        batch_op.drop_index(batch_op.f('ix_help_requests_created_at'))
        batch_op.drop_index(batch_op.f('ix_help_requests_assigned_mentor_id'))

    op.drop_table('help_requests')
    op.drop_table('faq_feedback')
    with op.batch_alter_table('questions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_questions_asker_aad_object_id'))
        batch_op.drop_index(batch_op.f('ix_questions_asked_at'))

    op.drop_table('questions')
    op.drop_table('faq_translations')
    op.drop_table('person_roles')
    op.drop_table('mentor_profiles')
    op.drop_table('faq_entries')
    op.drop_table('coordinator_scopes')
    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_people_unit_id'))

    op.drop_table('people')
    with op.batch_alter_table('units', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_units_parent_id'))

    op.drop_table('units')
    with op.batch_alter_table('processed_activities', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_processed_activities_received_at'))

    op.drop_table('processed_activities')
    op.drop_table('organization')
    with op.batch_alter_table('conversation_references', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_conversation_references_aad_object_id'))

    op.drop_table('conversation_references')
    op.drop_table('bot_state')
    op.drop_table('audit_log')
