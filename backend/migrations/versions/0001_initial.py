"""Initial schema: accounts and bills, verification failures, outages and notices, work orders.

Revision ID: 0001_initial
Revises:
Create Date: 2026-01-01
"""
import sqlalchemy as sa
from alembic import op

revision = "0001_initial"
down_revision = None
branch_labels = None
depends_on = None

# Money columns hold integer fen (分), see backend.models.Fen.


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("account_no", sa.String(10), primary_key=True),
        sa.Column("holder_name", sa.String(100), nullable=False),
        sa.Column("phone", sa.String(11), nullable=False),
        sa.Column("district", sa.String(20), nullable=False),
        sa.Column("street", sa.String(30), nullable=False),
        sa.Column("address", sa.String(200), nullable=False),
        sa.Column("household_size", sa.Integer, nullable=False),
        sa.Column("tariff_type", sa.String(20), nullable=False),
        sa.Column("area_type", sa.String(10), nullable=False),
        sa.Column("prepaid", sa.Boolean, nullable=False),
        sa.Column("balance_fen", sa.Integer, nullable=False),
        sa.Column("multi_resident", sa.Boolean, nullable=False),
        sa.Column("opened_on", sa.Date, nullable=False),
    )
    op.create_index("ix_accounts_phone", "accounts", ["phone"])
    op.create_index("ix_accounts_district", "accounts", ["district"])

    op.create_table(
        "bills",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("account_no", sa.String(10), sa.ForeignKey("accounts.account_no"), nullable=False),
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("kwh", sa.Integer, nullable=False),
        sa.Column("amount_fen", sa.Integer, nullable=False),
        sa.Column("due_date", sa.Date, nullable=False),
        sa.Column("paid", sa.Boolean, nullable=False),
        sa.Column("paid_at", sa.DateTime, nullable=True),
        sa.UniqueConstraint("account_no", "period", name="uq_bills_account_period"),
    )
    op.create_index("ix_bills_account_no", "bills", ["account_no"])

    op.create_table(
        "verification_failures",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("account_no", sa.String(10), sa.ForeignKey("accounts.account_no"), nullable=False),
        sa.Column("failed_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_verification_failures_account_no", "verification_failures", ["account_no"])

    op.create_table(
        "outages",
        sa.Column("outage_id", sa.String(12), primary_key=True),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("district", sa.String(20), nullable=False),
        sa.Column("streets", sa.JSON, nullable=False),
        sa.Column("area_desc", sa.String(200), nullable=False),
        sa.Column("start_at", sa.DateTime, nullable=False),
        sa.Column("end_at", sa.DateTime, nullable=True),
        sa.Column("affected_households", sa.Integer, nullable=False),
        sa.Column("reason", sa.String(200), nullable=True),
        sa.Column("notice_date", sa.Date, nullable=True),
        sa.Column("cause", sa.String(200), nullable=True),
        sa.Column("repair_status", sa.String(20), nullable=True),
        sa.Column("estimated_restoration", sa.DateTime, nullable=True),
    )
    op.create_index("ix_outages_kind", "outages", ["kind"])
    op.create_index("ix_outages_district", "outages", ["district"])
    op.create_index("ix_outages_start_at", "outages", ["start_at"])

    op.create_table(
        "outage_subscriptions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("account_no", sa.String(10), sa.ForeignKey("accounts.account_no"), nullable=False),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("recipient_id", sa.String(128), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("account_no", "channel", "recipient_id", name="uq_subscription_recipient"),
    )
    op.create_index("ix_outage_subscriptions_account_no", "outage_subscriptions", ["account_no"])

    op.create_table(
        "outage_notices",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("subscription_id", sa.Integer, sa.ForeignKey("outage_subscriptions.id"), nullable=False),
        sa.Column("outage_id", sa.String(12), sa.ForeignKey("outages.outage_id"), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("delivered_at", sa.DateTime, nullable=True),
        sa.UniqueConstraint("subscription_id", "outage_id", name="uq_notice_subscription_outage"),
    )
    op.create_index("ix_outage_notices_subscription_id", "outage_notices", ["subscription_id"])

    op.create_table(
        "work_orders",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("order_no", sa.String(16), nullable=False, unique=True),
        sa.Column("type", sa.String(20), nullable=False),
        sa.Column("request_id", sa.String(64), nullable=False, unique=True),
        sa.Column("request_fingerprint", sa.String(64), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("contact_name", sa.String(50), nullable=True),
        sa.Column("phone", sa.String(11), nullable=True),
        sa.Column("address", sa.String(200), nullable=True),
        sa.Column("district", sa.String(20), nullable=True),
        sa.Column("account_no", sa.String(10), sa.ForeignKey("accounts.account_no"), nullable=True),
        sa.Column("channel", sa.String(20), nullable=True),
        sa.Column("details", sa.JSON, nullable=False),
        sa.Column("responsible_unit", sa.String(100), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("completed_at", sa.DateTime, nullable=True),
    )
    op.create_index("ix_work_orders_phone", "work_orders", ["phone"])
    op.create_index("ix_work_orders_account_no", "work_orders", ["account_no"])

    op.create_table(
        "work_order_steps",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("order_id", sa.Integer, sa.ForeignKey("work_orders.id"), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("time_limit_working_days", sa.Integer, nullable=True),
        sa.Column("time_limit_hours", sa.Float, nullable=True),
        sa.Column("deadline", sa.DateTime, nullable=False),
        sa.Column("done_at", sa.DateTime, nullable=True),
        sa.UniqueConstraint("order_id", "seq", name="uq_step_order_seq"),
    )
    op.create_index("ix_work_order_steps_order_id", "work_order_steps", ["order_id"])

    op.create_table(
        "work_order_events",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("order_id", sa.Integer, sa.ForeignKey("work_orders.id"), nullable=False),
        sa.Column("at", sa.DateTime, nullable=False),
        sa.Column("status", sa.String(30), nullable=False),
        sa.Column("note", sa.String(200), nullable=False),
    )
    op.create_index("ix_work_order_events_order_id", "work_order_events", ["order_id"])

    op.create_table(
        "order_sequences",
        sa.Column("prefix", sa.String(2), primary_key=True),
        sa.Column("day", sa.String(8), primary_key=True),
        sa.Column("last_value", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    for table in (
        "order_sequences",
        "work_order_events",
        "work_order_steps",
        "work_orders",
        "outage_notices",
        "outage_subscriptions",
        "outages",
        "verification_failures",
        "bills",
        "accounts",
    ):
        op.drop_table(table)
