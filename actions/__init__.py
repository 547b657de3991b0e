"""Custom actions of the assistant, one module per topic (rasa_sdk loads every submodule)."""
