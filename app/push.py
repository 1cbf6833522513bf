"""Web Push: the owner's devices, their subscriptions, and sending to them.

A device subscribes with the service worker's `pushManager` and Morrow's
VAPID public key; the browser hands back a standard PushSubscription
(`endpoint`, `keys.p256dh`, `keys.auth`), stored once per endpoint. Sending
encrypts with `aes128gcm` and signs a VAPID JWT (pywebpush, imported only when
sending: it brings an HTTP stack the web workers otherwise don't need).

Morrow POSTs to the endpoint a browser gave it, so an endpoint must be
`https://` on a public address: the host is resolved and loopback, private,
link-local and reserved addresses are refused (also when sending, as DNS may
have changed). Hosts named in PUSH_ALLOWED_HOSTS skip the check, `http://`
included: for tests and private push services. A push service answering 404
or 410 has dropped the subscription; Morrow deletes it too.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import ipaddress
import json
import os
import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import delete, select
from sqlalchemy.engine import CursorResult

from .errors import Unprocessable, ValidationError
from .extensions import db
from .models import PushSubscription, User

ENDPOINT_MAX = 2048
# A nudge is worth delivering for half a day after the device comes back online.
PUSH_TTL = 12 * 60 * 60
PUSH_TIMEOUT = 10
KEY_FILE = "vapid_private_key.pem"


# --- the VAPID key ---------------------------------------------------------


def _vapid_pem(app) -> bytes:
    """Return the VAPID private key as PEM: VAPID_PRIVATE_KEY, else instance/."""
    configured = app.config.get("VAPID_PRIVATE_KEY")
    if configured:
        if "-----BEGIN" in configured:
            return configured.encode()
        from py_vapid import Vapid

        return Vapid.from_string(configured).private_pem()
    path = Path(app.instance_path) / KEY_FILE
    if not path.exists():
        _create_key_file(path)
    return path.read_bytes()


def _create_key_file(path: Path) -> None:
    """Write a new key once; a second worker racing this one keeps the first."""
    from py_vapid import Vapid

    vapid = Vapid()
    vapid.generate_keys()
    path.parent.mkdir(parents=True, exist_ok=True)
    draft = path.with_name(f".{path.name}.{os.getpid()}")
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(vapid.private_pem())
    try:
        os.link(draft, path)  # atomic; fails if another process got there first
    except FileExistsError:
        pass
    finally:
        draft.unlink()


def vapid_key(app=None):
    """Return the py_vapid key Morrow signs its pushes with."""
    from py_vapid import Vapid

    app = app or current_app
    cached = app.extensions.get("morrow_vapid")
    if cached is None:
        cached = app.extensions["morrow_vapid"] = Vapid.from_pem(_vapid_pem(app))
    return cached


def public_key(app=None) -> str:
    """Return the VAPID public key as the browser's `applicationServerKey`."""
    from cryptography.hazmat.primitives import serialization

    raw = vapid_key(app).public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


# --- endpoints -------------------------------------------------------------


def _allowed_hosts() -> set[str]:
    return {h.lower() for h in current_app.config.get("PUSH_ALLOWED_HOSTS") or []}


def endpoint_problem(endpoint: str) -> str | None:
    """Say why Morrow must not POST to this endpoint, or None when it may."""
    try:
        parts = urlsplit(endpoint)
        host = (parts.hostname or "").lower()
        port = parts.port
    except ValueError:
        return "The endpoint is not a valid URL."
    if not host:
        return "The endpoint is not an absolute URL."
    if host in _allowed_hosts():
        if parts.scheme in ("https", "http"):
            return None
        return "The endpoint must be an https:// URL."
    if parts.scheme != "https":
        return "The endpoint must be an https:// URL."
    try:
        addresses = {
            info[4][0]
            for info in socket.getaddrinfo(host, port or 443, type=socket.SOCK_STREAM)
        }
    except (OSError, UnicodeError):
        return f"The endpoint's host {host} cannot be resolved."
    for address in addresses:
        ip = ipaddress.ip_address(str(address).split("%", 1)[0])
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
            ip = ip.ipv4_mapped
        if not ip.is_global or ip.is_multicast:
            return "The endpoint must be on a public address."
    return None


def _b64_key(value, name: str, size: int, errors: dict) -> str:
    if not isinstance(value, str) or not value or len(value) > 200:
        errors[name] = "Required: base64url text."
        return ""
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        errors[name] = "Not base64url."
        return ""
    if len(raw) != size:
        errors[name] = f"Must decode to {size} bytes."
    return value


def _clean_subscription(data: dict) -> tuple[str, str, str]:
    """Check a PushSubscription's JSON; raise a 400/422 naming what is wrong."""
    errors: dict[str, str] = {}
    endpoint = data.get("endpoint")
    if not isinstance(endpoint, str) or not endpoint.strip():
        endpoint = ""
        errors["endpoint"] = "Required: the push service's URL."
    elif len(endpoint) > ENDPOINT_MAX:
        errors["endpoint"] = f"At most {ENDPOINT_MAX} characters."
    keys = data.get("keys")
    if not isinstance(keys, dict):
        errors["keys"] = "Required: {p256dh, auth}."
        keys = {}
    p256dh = _b64_key(keys.get("p256dh"), "keys.p256dh", 65, errors)
    auth = _b64_key(keys.get("auth"), "keys.auth", 16, errors)
    if errors:
        raise ValidationError(next(iter(errors.values())), errors)
    problem = endpoint_problem(endpoint)
    if problem:
        raise Unprocessable(problem, {"endpoint": problem})
    return endpoint, p256dh, auth


def _hash(endpoint: str) -> str:
    return hashlib.sha256(endpoint.encode()).hexdigest()


def subscribe(user: User, data: dict) -> tuple[PushSubscription, bool]:
    """Store a device's subscription; return it and whether it is new.

    An endpoint is one device: subscribing it again updates its keys, and a
    phone that changes hands moves to the account that subscribed last.
    Flushes; the caller commits.
    """
    endpoint, p256dh, auth = _clean_subscription(data)
    found = db.session.execute(
        select(PushSubscription).filter_by(endpoint_hash=_hash(endpoint))
    ).scalar_one_or_none()
    if found is not None and found.user_id == user.id:
        found.p256dh, found.auth = p256dh, auth
        db.session.flush()
        return found, False
    if found is not None:
        db.session.delete(found)
        db.session.flush()
    subscription = PushSubscription(
        user_id=user.id,
        endpoint=endpoint,
        endpoint_hash=_hash(endpoint),
        p256dh=p256dh,
        auth=auth,
    )
    db.session.add(subscription)
    db.session.flush()
    return subscription, True


def unsubscribe(user: User, data: dict) -> bool:
    """Remove the owner's subscription with this endpoint; tell if there was one."""
    endpoint = data.get("endpoint")
    if not isinstance(endpoint, str) or not endpoint.strip():
        endpoint = ""
        raise ValidationError(
            "Which device? Send its endpoint.", {"endpoint": "Required."}
        )
    result = db.session.execute(
        delete(PushSubscription).where(
            PushSubscription.user_id == user.id,
            PushSubscription.endpoint_hash == _hash(endpoint),
        )
    )
    return bool(cast(CursorResult, result).rowcount)


def subscriptions_of(user_id: int) -> list[PushSubscription]:
    return list(
        db.session.execute(
            select(PushSubscription)
            .filter_by(user_id=user_id)
            .order_by(PushSubscription.id)
        ).scalars()
    )


# --- sending ---------------------------------------------------------------


@dataclass
class PushResult:
    """What happened to one push on each of the owner's devices."""

    sent: int = 0
    gone: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def devices(self) -> int:
        return self.sent + self.gone + len(self.errors)


def _claims() -> dict:
    sender = current_app.config.get("MAIL_FROM")
    public_url = current_app.config.get("PUBLIC_URL") or ""
    if sender:
        return {"sub": f"mailto:{sender}"}
    if public_url.startswith("https://"):
        return {"sub": public_url}
    return {"sub": "mailto:morrow@localhost"}


def _no_redirects():
    import requests

    session = requests.Session()
    # A push service never redirects; following one could reach a private host.
    session.max_redirects = 0
    return session


def send_to_devices(user_id: int, message: dict) -> PushResult:
    """Push `message` (JSON) to each of the owner's devices.

    Deletes the subscriptions the push service says are gone (404, 410);
    flushes, the caller commits. The key, the claims and the HTTP session are
    made once for all the devices.
    """
    result = PushResult()
    subscriptions = subscriptions_of(user_id)
    if not subscriptions:
        return result
    data = json.dumps(message)
    key, claims = vapid_key(), _claims()
    with _no_redirects() as session:
        for subscription in subscriptions:
            _push_one(subscription, data, key, claims, session, result)
    db.session.flush()
    return result


def _push_one(subscription, data: str, key, claims: dict, session, result) -> None:
    """Push to one device; note in `result` how it went."""
    from pywebpush import WebPushException, webpush

    problem = endpoint_problem(subscription.endpoint)
    if problem:
        result.errors.append(problem)
        return
    try:
        webpush(
            {
                "endpoint": subscription.endpoint,
                "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth},
            },
            data,
            vapid_private_key=key,
            vapid_claims=dict(claims),  # a copy: webpush adds this device's audience
            ttl=PUSH_TTL,
            timeout=PUSH_TIMEOUT,
            headers={"Urgency": "normal"},
            requests_session=session,
        )
    except WebPushException as error:
        status = error.status_code
        if status in (404, 410):
            db.session.delete(subscription)
            result.gone += 1
        else:
            result.errors.append(f"the push service answered {status}")
    except Exception as error:  # network errors of every kind
        result.errors.append(f"the push service could not be reached ({error})")
    else:
        result.sent += 1
