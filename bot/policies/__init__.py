"""Custom Rasa dialogue policies (config.yml names them; only Rasa processes import this package,
which is when `bot.runtime` installs its changes to how the server runs)."""
import bot.runtime  # noqa: F401
