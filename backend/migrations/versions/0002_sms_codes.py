"""SMS one-time codes: the gateway stub's outbox, the codes (hashed) and the grants they buy.

Revision ID: 0002_sms_codes
Revises: 0001_initial
Create Date: 2026-12-08
"""
import sqlalchemy as sa
from alembic import op

revision = "0002_sms_codes"
down_revision = "0001_initial"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sms_outbox",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("phone", sa.String(11), nullable=False),
        sa.Column("text", sa.String(200), nullable=False),
        sa.Column("purpose", sa.String(20), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_sms_outbox_phone", "sms_outbox", ["phone"])

    op.create_table(
        "one_time_codes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("phone", sa.String(11), nullable=False),
        sa.Column("purpose", sa.String(20), nullable=False),
        sa.Column("salt", sa.String(32), nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("expires_at", sa.DateTime, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("used_at", sa.DateTime, nullable=True),
    )
    op.create_index("ix_one_time_codes_phone", "one_time_codes", ["phone"])

    op.create_table(
        "phone_grants",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("phone", sa.String(11), nullable=False),
        sa.Column("purpose", sa.String(20), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("expires_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_phone_grants_phone", "phone_grants", ["phone"])


def downgrade() -> None:
    for table in ("phone_grants", "one_time_codes", "sms_outbox"):
        op.drop_table(table)
