"""`python -m security.rasa_server <rasa run flags>`: `rasa run` with the HTTP API closed.

- The HTTP API is always on and always needs RASA_API_TOKEN (refused to start without one); the
  token is read from the environment (or RASA_API_TOKEN_FILE) and handed to Rasa inside this
  process, so it never appears in argv (`ps` shows every process's argv to every user).
- Loopback unless RASA_HOST (or --interface) says otherwise.
- Request bodies over RASA_MAX_BODY_BYTES (default 1 MiB; Sanic's default is 100 MB) get 413
  before they are read: Sanic checks Content-Length, and chunked bodies while they arrive. The
  channels apply their own smaller limits (connectors/body_limits.py).
Every other flag is Rasa's own and passes through.
"""
from __future__ import annotations

import os
import sys
from typing import List, Optional, Sequence

from security.service_secrets import RASA_API_VAR, require_or_exit

DEFAULT_HOST = "127.0.0.1"
DEFAULT_MAX_BODY_BYTES = 1024 * 1024
REFUSED_FLAGS = ("--auth-token", "--jwt-secret")


def rasa_argv(argv: Sequence[str]) -> List[str]:
    """`rasa run` arguments: the API enabled, loopback by default; a token flag is refused."""
    argv = list(argv)
    for flag in REFUSED_FLAGS:
        if any(a == flag or a.startswith(flag + "=") for a in argv):
            print(f"{flag} would put a secret in the process list: set {RASA_API_VAR} instead.", file=sys.stderr)
            raise SystemExit(2)
    if "--enable-api" not in argv:
        argv.insert(0, "--enable-api")
    if "--interface" not in argv and "-i" not in argv:
        argv += ["--interface", os.environ.get("RASA_HOST", DEFAULT_HOST)]
    return ["rasa", "run", *argv]


def max_body_bytes() -> str:
    raw = os.environ.get("RASA_MAX_BODY_BYTES", str(DEFAULT_MAX_BODY_BYTES))
    if not raw.isdigit() or int(raw) <= 0:
        print(f"RASA_MAX_BODY_BYTES must be a positive number of bytes, not {raw!r}", file=sys.stderr)
        raise SystemExit(2)
    return raw


def main(argv: Optional[Sequence[str]] = None) -> None:
    token = require_or_exit(RASA_API_VAR, "The Rasa server's HTTP API")
    # Sanic reads SANIC_* variables into its config when Rasa creates the app.
    os.environ["SANIC_REQUEST_MAX_SIZE"] = max_body_bytes()
    sys.argv = rasa_argv(sys.argv[1:] if argv is None else argv)

    import rasa.__main__
    import rasa.cli.run as rasa_run

    # `rasa run` reads the token from its parsed arguments; the parser binds `run` when it is
    # built (rasa/cli/run.py add_subparser), so wrapping the module's function hands it over.
    rasa_cli_run = rasa_run.run

    def run_with_token(args):
        args.auth_token = token
        return rasa_cli_run(args)

    rasa_run.run = run_with_token

    # The channels' body limits before bodies are read (connectors/body_limits.py): the Sanic
    # app is built by rasa.core.run.configure_app, which serve_application looks up by name.
    import rasa.core.run as rasa_core_run
    from connectors import body_limits

    rasa_configure_app = rasa_core_run.configure_app

    def configure_app_with_limits(*args, **kwargs):
        app = rasa_configure_app(*args, **kwargs)
        body_limits.install(app)
        return app

    rasa_core_run.configure_app = configure_app_with_limits
    rasa.__main__.main()


if __name__ == "__main__":
    main()
