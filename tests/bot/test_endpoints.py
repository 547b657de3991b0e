"""Rasa expands ${VAR} in endpoint files only in unquoted values: check ours really are expanded."""
from pathlib import Path

import pytest
from rasa.utils.endpoints import read_endpoint_config

ENDPOINTS = Path(__file__).resolve().parents[2] / "bot" / "endpoints.yml"


def test_action_endpoint_and_tracker_path_come_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("ACTION_ENDPOINT_URL", "http://127.0.0.1:5999/webhook")
    monkeypatch.setenv("TRACKER_DB_PATH", str(tmp_path / "tracker.db"))
    assert read_endpoint_config(str(ENDPOINTS), "action_endpoint").url == "http://127.0.0.1:5999/webhook"
    tracker_store = read_endpoint_config(str(ENDPOINTS), "tracker_store")
    assert tracker_store.kwargs["db"] == str(tmp_path / "tracker.db")


def test_a_missing_variable_stops_start_up_with_its_name(monkeypatch):
    monkeypatch.delenv("ACTION_ENDPOINT_URL", raising=False)
    with pytest.raises(Exception, match="ACTION_ENDPOINT_URL"):
        read_endpoint_config(str(ENDPOINTS), "action_endpoint")
