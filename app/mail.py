"""Sending e-mail through the server set in MAIL_URL.

`smtp://user:password@host:587` speaks STARTTLS (required on port 587, used
on other ports whenever the server offers it); `smtp://…:465` and `smtps://…`
use implicit TLS. Without a user name
Morrow does not log in (a local relay). Messages come from MAIL_FROM, else
from the user name when it is an address.
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from urllib.parse import unquote, urlsplit

from flask import current_app

MAIL_TIMEOUT = 20


class MailError(RuntimeError):
    """The mail server could not take the message; the text says why."""


def mail_configured() -> bool:
    return bool(current_app.config.get("MAIL_URL"))


def sender() -> str:
    """Return the From address: MAIL_FROM, else MAIL_URL's user name."""
    configured = current_app.config.get("MAIL_FROM")
    if configured:
        return configured
    user = unquote(urlsplit(current_app.config["MAIL_URL"]).username or "")
    return user if "@" in user else "morrow@localhost"


def build_message(to: str, subject: str, text: str, html: str) -> EmailMessage:
    """Return a plain-text message with an HTML alternative."""
    message = EmailMessage()
    message["From"] = formataddr(("Morrow", sender()))
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain=sender().rsplit("@", 1)[-1])
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message


def send(message: EmailMessage) -> None:
    """Hand the message to the mail server; raise MailError on any failure."""
    url = urlsplit(current_app.config["MAIL_URL"])
    implicit_tls = url.scheme == "smtps" or url.port == 465
    port = url.port or (465 if implicit_tls else 587)
    context = ssl.create_default_context()
    try:
        server: smtplib.SMTP
        if implicit_tls:
            server = smtplib.SMTP_SSL(
                url.hostname, port, timeout=MAIL_TIMEOUT, context=context
            )
        else:
            server = smtplib.SMTP(url.hostname, port, timeout=MAIL_TIMEOUT)
        with server:
            server.ehlo()
            if not implicit_tls and (port == 587 or server.has_extn("starttls")):
                server.starttls(context=context)
            if url.username:
                server.login(unquote(url.username), unquote(url.password or ""))
            server.send_message(message)
    except (smtplib.SMTPException, OSError) as error:
        raise MailError(_describe(error)) from error


def _describe(error: Exception) -> str:
    if isinstance(error, smtplib.SMTPAuthenticationError):
        return "the mail server refused the user name or password in MAIL_URL"
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return "the mail server refused the address"
    if isinstance(error, smtplib.SMTPNotSupportedError):
        return "the mail server does not offer STARTTLS (use smtps:// or port 465)"
    if isinstance(error, ssl.SSLError):
        return f"the TLS connection to the mail server failed ({error.reason})"
    if isinstance(error, TimeoutError):
        return "the mail server did not answer in time"
    if isinstance(error, smtplib.SMTPException):
        return f"the mail server said: {error}"
    reason = getattr(error, "strerror", None) or error
    return f"the mail server could not be reached ({reason})"
