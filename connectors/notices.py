"""Delivers planned-outage notices to WeChat subscribers, never the same notice twice.

    python -m connectors.notices --once                 # one pass (cron / a scheduled job)
    python -m connectors.notices --interval 300         # keep running, one pass every 5 minutes

One pass: GET {BACKEND_URL}/api/v1/outage-notices/pending?channel=wechat, send each notice through
the customer-service message API (or a template message when WECHAT_NOTICE_TEMPLATE_ID is set),
then POST /api/v1/outage-notices/{id}/delivered. The back end never lists a confirmed notice
again; a local journal covers the gap between sending and confirming: a notice whose send was
started is never sent again, only confirmed (at most once, by design). Run the job on one host.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import re
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Dict, List, Optional

import aiohttp

from bot.text.masking import mask_account
from security.service_auth import SERVICE_HEADER
from security.service_secrets import BACKEND_SERVICE_VAR, read_secret
from connectors.kvstore import shared_store
from connectors.wechat_api import CustomerServiceAPI, WeChatAPIError, shared_token_service
from connectors.wechat_security import WeChatSettings

logger = logging.getLogger(__name__)

CHANNEL_ENV = {"wechat": "WECHAT", "wechat_mp": "WECHAT_MP"}
_OPENID = re.compile(r"[A-Za-z0-9_\-]{1,64}")
SENDING, SENT, FAILED, CONFIRMED = "sending", "sent", "failed", "confirmed"


class Journal:
    """Append-only JSON lines: the last state per notice survives crashes and restarts."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._states: Dict[str, str] = {}
        if path.exists():
            for line in path.read_text(encoding="utf-8").splitlines():
                try:
                    entry = json.loads(line)
                    self._states[entry["key"]] = entry["state"]
                except (ValueError, KeyError, TypeError):
                    continue  # a torn last line after a crash

    def state(self, key: str) -> Optional[str]:
        return self._states.get(key)

    def mark(self, key: str, state: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps({"key": key, "state": state, "at": datetime.now().isoformat()}) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        self._states[key] = state


def _when(value: Optional[str]) -> str:
    if not value:
        return "待定"
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    return f"{moment.month}月{moment.day}日 {moment:%H:%M}"


def notice_text(notice: Dict[str, Any]) -> str:
    outage = notice.get("outage") or {}
    streets = "、".join(outage.get("streets") or [])
    area = "，".join(x for x in (outage.get("district"), streets, outage.get("area_desc")) if x)
    lines = [
        f"【{outage.get('kind_text') or '计划停电'}通知】",
        f"您订阅的户号{mask_account(notice.get('account_no', ''))}所在区域将停电。",
        f"时间：{_when(outage.get('start'))} 至 {_when(outage.get('end'))}",
        f"范围：{area or '详见供电公司公告'}",
    ]
    if outage.get("reason"):
        lines.append(f"原因：{outage['reason']}")
    lines.append("请提前做好准备。如有疑问请回复消息咨询，或拨打供电服务热线95598。")
    return "\n".join(lines)


def template_data(notice: Dict[str, Any]) -> Dict[str, str]:
    """Fields for a template with first / keyword1-3 / remark (adjust to the approved template)."""
    outage = notice.get("outage") or {}
    return {
        "first": f"{outage.get('kind_text') or '计划停电'}通知（户号{mask_account(notice.get('account_no', ''))}）",
        "keyword1": f"{_when(outage.get('start'))} 至 {_when(outage.get('end'))}",
        "keyword2": "，".join(x for x in (outage.get("district"), "、".join(outage.get("streets") or [])) if x),
        "keyword3": outage.get("reason") or "电网检修",
        "remark": "如有疑问请拨打供电服务热线95598。",
    }


def openid_of(recipient_id: str, channel: str) -> Optional[str]:
    local = recipient_id.split(":", 1)[1] if recipient_id.startswith(f"{channel}:") else recipient_id
    return local if _OPENID.fullmatch(local) else None


@dataclass
class PassResult:
    sent: int = 0
    confirmed_only: int = 0
    failed: int = 0
    skipped: int = 0


class NoticeJob:
    def __init__(self, channel: str, api: CustomerServiceAPI, journal: Journal, backend_url: str,
                 template_id: str = "", timeout: float = 10.0) -> None:
        self.channel = channel
        self.api = api
        self.journal = journal
        self.backend_url = backend_url.rstrip("/")
        self.template_id = template_id
        self.timeout = aiohttp.ClientTimeout(total=timeout)

    async def _pending(self, session: aiohttp.ClientSession, limit: int) -> List[Dict[str, Any]]:
        url = f"{self.backend_url}/api/v1/outage-notices/pending"
        async with session.get(url, params={"channel": self.channel, "limit": str(limit)}) as resp:
            resp.raise_for_status()
            return (await resp.json()).get("notices") or []

    async def _confirm(self, session: aiohttp.ClientSession, notice_id: int) -> bool:
        try:
            async with session.post(f"{self.backend_url}/api/v1/outage-notices/{notice_id}/delivered") as resp:
                return resp.status == 200
        except (aiohttp.ClientError, asyncio.TimeoutError):
            return False

    async def _send(self, openid: str, notice: Dict[str, Any]) -> None:
        if self.template_id:
            await self.api.send_template(openid, self.template_id, template_data(notice))
        else:
            await self.api.send_text(openid, notice_text(notice))

    async def run_once(self, limit: int = 100) -> PassResult:
        result = PassResult()
        # The back end answers only callers with the service token (security/service_auth.py).
        headers = {SERVICE_HEADER: read_secret(BACKEND_SERVICE_VAR) or ""}
        async with aiohttp.ClientSession(timeout=self.timeout, headers=headers) as session:
            for notice in await self._pending(session, limit):
                await self._deliver(session, notice, result)
        return result

    async def _deliver(self, session: aiohttp.ClientSession, notice: Dict[str, Any], result: PassResult) -> None:
        notice_id = notice.get("notice_id")
        openid = openid_of(str(notice.get("recipient_id", "")), self.channel)
        if not isinstance(notice_id, int) or openid is None:
            logger.warning("notice.malformed", extra={"notice_id": notice_id})
            result.skipped += 1
            return
        # The outage and recipient are part of the key: a reset back end may reuse notice ids.
        key = f"{self.channel}:{notice_id}:{(notice.get('outage') or {}).get('outage_id')}:{openid}"
        if self.journal.state(key) in (SENDING, SENT, CONFIRMED):
            # Sent (or possibly sent) before: confirm only, never send again.
            if await self._confirm(session, notice_id):
                self.journal.mark(key, CONFIRMED)
            result.confirmed_only += 1
            return
        self.journal.mark(key, SENDING)
        try:
            await self._send(openid, notice)
        except WeChatAPIError as error:  # WeChat answered: it was not delivered, may be retried
            logger.warning("notice.send.rejected", extra={"notice_id": notice_id, "errcode": error.errcode})
            self.journal.mark(key, FAILED)
            result.failed += 1
            return
        except aiohttp.ClientConnectorError:  # never reached WeChat: not delivered
            self.journal.mark(key, FAILED)
            result.failed += 1
            return
        except Exception:  # e.g. timeout after sending: outcome unknown, stays "sending"
            logger.exception("notice.send.unknown", extra={"notice_id": notice_id})
            result.failed += 1
            return
        self.journal.mark(key, SENT)
        result.sent += 1
        if await self._confirm(session, notice_id):
            self.journal.mark(key, CONFIRMED)


def build_job(channel: str, journal_path: str) -> NoticeJob:
    settings = WeChatSettings.from_env(CHANNEL_ENV[channel])
    if not settings.can_send:
        raise SystemExit(f"Set {settings.prefix}_APPID and {settings.prefix}_APPSECRET to send notices.")
    api = CustomerServiceAPI(shared_token_service(settings.appid, settings.secret, shared_store()))
    backend_url = os.environ.get("BACKEND_URL", "http://127.0.0.1:5080")
    template_id = os.environ.get(f"{settings.prefix}_NOTICE_TEMPLATE_ID", "").strip()
    return NoticeJob(channel, api, Journal(Path(journal_path)), backend_url, template_id)


async def _main(args: argparse.Namespace) -> int:
    job = build_job(args.channel, args.journal)
    while True:
        try:
            result = await job.run_once(args.limit)
            print(f"notices ({args.channel}): {result.sent} sent, {result.confirmed_only} confirmed only, "
                  f"{result.failed} failed, {result.skipped} skipped")
            status = 1 if result.failed else 0
        except (aiohttp.ClientError, asyncio.TimeoutError) as error:
            print(f"notices: back end unavailable ({type(error).__name__}); nothing sent", file=sys.stderr)
            status = 2
        if args.once:
            return status
        await asyncio.sleep(args.interval)


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m connectors.notices", description=__doc__.splitlines()[0])
    parser.add_argument("--once", action="store_true", help="one pass, then exit")
    parser.add_argument("--interval", type=int, default=300, help="seconds between passes without --once")
    parser.add_argument("--channel", choices=sorted(CHANNEL_ENV), default="wechat")
    parser.add_argument("--limit", type=int, default=100)
    parser.add_argument("--journal", default=os.environ.get("NOTICES_JOURNAL", "var/notices_journal.jsonl"))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO)
    return asyncio.run(_main(args))


if __name__ == "__main__":
    sys.exit(main())
