"""`python -m security.action_server --actions actions --port 5055`: the action server, closed.

rasa-sdk's own server (`rasa run actions`) listens on every interface, answers anyone, allows
every CORS origin, and its error handler sends the posted tracker back in the 500 body. This
starts the same app (rasa_sdk.endpoint.create_app: same routes, same executor) with:
- the service token required on every request but /health (ACTION_SERVER_TOKEN; Rasa sends it,
  bot/endpoints*.yml), compared in constant time; the server refuses to start without it;
- loopback unless SANIC_HOST says otherwise; no CORS; a body limit applied before the body is
  read (ACTION_SERVER_MAX_BODY_BYTES, default 2 MiB: a long conversation's tracker);
- an error answer that carries no customer data (the details go to the masked log).
The command-line flags are rasa-sdk's own.
"""
from __future__ import annotations

import logging
import os
import sys
from typing import Optional, Sequence

from security.service_auth import sanic_guard
from security.service_secrets import ACTION_SERVER_VAR, require_or_exit

logger = logging.getLogger(__name__)

DEFAULT_HOST = "127.0.0.1"
DEFAULT_MAX_BODY_BYTES = 2 * 1024 * 1024


def max_body_bytes() -> int:
    raw = os.environ.get("ACTION_SERVER_MAX_BODY_BYTES", str(DEFAULT_MAX_BODY_BYTES))
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value <= 0:
        print(f"ACTION_SERVER_MAX_BODY_BYTES must be a positive number of bytes, not {raw!r}", file=sys.stderr)
        raise SystemExit(2)
    return value


def build_app(action_package: str, token: str, body_limit: int = DEFAULT_MAX_BODY_BYTES):
    from rasa_sdk.endpoint import create_app
    from sanic import response

    app = create_app(action_package, cors_origins="")
    app.config.REQUEST_MAX_SIZE = body_limit
    sanic_guard(app, token, open_paths=("/health",))

    @app.exception(Exception)
    async def internal_error(request, exception: Exception):
        logger.error("action server error on %s", request.path, exc_info=exception)
        return response.json({"error": "internal error"}, status=500)

    return app


def main(argv: Optional[Sequence[str]] = None) -> None:
    from rasa_sdk import utils
    from rasa_sdk.constants import APPLICATION_ROOT_LOGGER_NAME
    from rasa_sdk.endpoint import create_argument_parser

    token = require_or_exit(ACTION_SERVER_VAR, "The action server")
    body_limit = max_body_bytes()
    args = create_argument_parser().parse_args(argv)
    logging.getLogger("matplotlib").setLevel(logging.WARN)
    utils.configure_colored_logging(args.loglevel)
    utils.configure_file_logging(logging.getLogger(APPLICATION_ROOT_LOGGER_NAME), args.log_file, args.loglevel,
                                 args.logging_config_file)
    utils.update_sanic_log_level()
    import bot  # noqa: F401  (masks every log record of this process)

    app = build_app(args.actions, token, body_limit)
    host = os.environ.get("SANIC_HOST", DEFAULT_HOST)
    logger.info("Action server on http://%s:%s (service token required)", host, args.port)
    app.run(host, args.port, workers=utils.number_of_sanic_workers())


if __name__ == "__main__":
    main()
