"""One delivery attempt of one alert to one channel, per channel kind.

Each sender raises on failure (the deliverer retries) and returns nothing on success. They
run on the deliverer's thread, never on the training thread, with short timeouts.
"""

from __future__ import annotations

import shutil
import smtplib
import subprocess
from collections.abc import Callable
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlsplit

import httpx

from trainboard.alerts.kinds import Alert
from trainboard.store.sql.channels import ChannelRecord

TIMEOUT = 5.0  # seconds per attempt: a dead endpoint must not hold the queue for long


def _post(url: str, secret: str | None, **kwargs: Any) -> None:
    headers = dict(kwargs.pop("headers", {}))
    if secret:
        headers["Authorization"] = f"Bearer {secret}"
    response = httpx.post(url, headers=headers, timeout=TIMEOUT, **kwargs)
    response.raise_for_status()


def webhook(channel: ChannelRecord, alert: Alert, link: str | None) -> None:
    _post(channel.target, channel.secret, json=alert.payload(link))


def slack(channel: ChannelRecord, alert: Alert, link: str | None) -> None:
    """Slack's incoming webhooks (and Mattermost, Discord's /slack, Rocket.Chat) take
    {"text": ...}."""
    text = alert.headline() + (f"\n<{link}|open the run>" if link else "")
    _post(channel.target, channel.secret, json={"text": text})


def ntfy(channel: ChannelRecord, alert: Alert, link: str | None) -> None:
    """ntfy takes the message as the body of a POST to the topic's URL."""
    headers = {"Title": f"trainboard: {alert.run_name}", "Tags": alert.kind}
    if link:
        headers["Click"] = link
    if alert.level == "error":
        headers["Priority"] = "high"
    _post(channel.target, channel.secret, content=alert.reason.encode(), headers=headers)


def email(channel: ChannelRecord, alert: Alert, link: str | None) -> None:
    """target "to@example.com?smtp=host:port&from=sender@example.com"; secret
    "user:password" logs in (STARTTLS first when the server offers it)."""
    to, _, query = channel.target.partition("?")
    opts = dict(p.partition("=")[::2] for p in query.split("&") if p)
    host, _, port = opts.get("smtp", "localhost:25").partition(":")
    msg = EmailMessage()
    msg["Subject"] = alert.headline()
    msg["From"] = opts.get("from", "trainboard@localhost")
    msg["To"] = to
    body = [alert.reason, "", f"run: {alert.run_name} ({alert.run_id}), project {alert.project}"]
    if alert.step is not None:
        body.append(f"step: {alert.step}")
    if link:
        body.append(f"open: {link}")
    msg.set_content("\n".join(body))
    with smtplib.SMTP(host, int(port or 25), timeout=TIMEOUT) as smtp:
        if smtp.has_extn("starttls"):
            smtp.starttls()
        if channel.secret:
            user, _, password = channel.secret.partition(":")
            smtp.login(user, password)
        smtp.send_message(msg)


def desktop(channel: ChannelRecord, alert: Alert, link: str | None) -> None:
    """A desktop notification through notify-send (Linux) or osascript (macOS)."""
    if shutil.which("notify-send"):
        cmd = ["notify-send", f"trainboard: {alert.run_name}", alert.reason]
    elif shutil.which("osascript"):
        script = f'display notification {_applescript(alert.reason)} with title "trainboard"'
        cmd = ["osascript", "-e", script]
    else:
        raise OSError("no desktop notifier on this machine (notify-send or osascript)")
    subprocess.run(cmd, check=True, timeout=TIMEOUT, capture_output=True)


def _applescript(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


SENDERS: dict[str, Callable[[ChannelRecord, Alert, str | None], None]] = {
    "webhook": webhook,
    "slack": slack,
    "ntfy": ntfy,
    "email": email,
    "desktop": desktop,
}


def shown(channel: ChannelRecord) -> str:
    """The channel as it may be printed: a webhook's path and query often are its secret
    (Slack's are), so only the scheme and host of a URL are shown; an email address without
    its server options."""
    if channel.kind == "email":
        return f"email to {channel.target.partition('?')[0]}"
    if channel.kind == "desktop":
        return "desktop notifications"
    parts = urlsplit(channel.target)
    host = parts.hostname or "?"
    port = f":{parts.port}" if parts.port else ""
    return f"{channel.kind} {parts.scheme}://{host}{port}/…"
