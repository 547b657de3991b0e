"""`python -m backend`: serve the stub systems on 127.0.0.1:$BACKEND_PORT (default 5080)."""
from __future__ import annotations

import logging
import os

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger

from backend.app import create_app
from bot.text.masking import MaskingFormatter, mask_text
from security.service_secrets import BACKEND_SERVICE_VAR, require_or_exit


class MaskedAccessLogger(AbstractAccessLogger):
    """Access log without customers' numbers (paths and query strings carry them)."""

    def log(self, request, response, time):
        self.logger.info(
            '%s "%s %s" %s %.1fms', request.remote, request.method, mask_text(request.path_qs), response.status,
            time * 1000,
        )


def main() -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(MaskingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=os.environ.get("BACKEND_LOG_LEVEL", "INFO"), handlers=[handler])
    port = int(os.environ.get("BACKEND_PORT", "5080"))
    require_or_exit(BACKEND_SERVICE_VAR, "The back end")
    web.run_app(
        create_app(),
        host=os.environ.get("BACKEND_HOST", "127.0.0.1"),
        port=port,
        access_log_class=MaskedAccessLogger,
        print=lambda message: logging.getLogger("backend").info(message),
    )


if __name__ == "__main__":
    main()
