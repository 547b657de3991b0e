"""Stub utility back-end systems (marketing/CRM, outage management, work orders) for the assistant."""
