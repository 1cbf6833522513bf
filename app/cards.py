"""The owner's card: validation, publishing, and the URLs that point at it."""

from __future__ import annotations

import ipaddress
import re
import secrets
from urllib.parse import urlsplit

from flask import current_app, request, url_for

from .errors import ValidationError
from .extensions import db
from .models import Card, User
from .shapes import CardJSON
from .validation import (
    FieldErrors,
    Rule,
    clean_email,
    clean_fields,
    clean_linkedin,
    clean_phone,
    clean_url,
    text_rule,
)

CARD_FIELDS = (
    "first_name",
    "last_name",
    "headline",
    "company",
    "email",
    "phone",
    "website",
    "linkedin",
    "links",
    "pitch",
)
TEXT_LIMITS = {
    "first_name": 100,
    "last_name": 100,
    "headline": 140,
    "company": 140,
    "pitch": 500,
}
MAX_LINKS = 5
SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{1,62}[a-z0-9])?$")
RESERVED_SLUGS = {"new", "admin", "api", "static", "setup", "login"}


def slugify(text: str) -> str:
    import unicodedata

    ascii_text = (
        unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    )
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")[:40]
    return slug


def _clean_links(value, field: str, _user) -> list[str]:
    links = value
    if isinstance(links, str):
        links = [line for line in links.splitlines() if line.strip()]
    if not isinstance(links, list) or len(links) > MAX_LINKS:
        message = f"Give at most {MAX_LINKS} links."
        raise ValidationError(message, {field: message})
    cleaned = [clean_url(link, field) for link in links]
    return [link for link in cleaned if link]


def _clean_public_fields(value, field: str, _user) -> list[str]:
    if not isinstance(value, list) or any(f not in CARD_FIELDS for f in value):
        message = "public_fields must list card field names."
        raise ValidationError(message, {field: message})
    return [f for f in CARD_FIELDS if f in value]


def _clean_slug(value, field: str, user: User) -> str:
    slug = (value or "").strip().lower() if isinstance(value, str) else None
    if slug is None or not SLUG_RE.match(slug) or slug in RESERVED_SLUGS:
        message = (
            "Use 2–64 lower-case letters, digits and dashes for your page address."
        )
        raise ValidationError(message, {field: message})
    taken = db.session.execute(
        db.select(Card.id).filter(Card.slug == slug, Card.user_id != user.id)
    ).first()
    if taken:
        message = "That address is taken. Try another."
        raise ValidationError(message, {field: message})
    return slug


# The card's fields: name → cleaning rule (validation.Rule, the owner as context).
CARD_RULES: dict[str, Rule] = {
    **{f: text_rule(n, multiline=f == "pitch") for f, n in TEXT_LIMITS.items()},
    "email": lambda v, f, _user: clean_email(v, f),
    "phone": lambda v, f, user: clean_phone(v, user.default_region, f),
    "website": lambda v, f, _user: clean_url(v, f),
    "linkedin": lambda v, f, _user: clean_linkedin(v, f),
    "links": _clean_links,
    "public_fields": _clean_public_fields,
    "slug": _clean_slug,
}


def clean_card(user: User, data: dict) -> dict:
    """Validate the card fields given; every error names its field."""
    errors = FieldErrors()
    values = clean_fields(CARD_RULES, data, user, errors)
    errors.raise_if_any()
    return values


def update_card(user: User, data: dict) -> Card:
    """Validate and save the card; every error names its field."""
    values = clean_card(user, data)
    card = user.card or Card(user_id=user.id)
    for field, value in values.items():
        setattr(card, field, value)
    if not card.slug:
        card.slug = unique_slug(card)
    card.published = True
    if user.card is None:
        user.card = card
    db.session.flush()
    return card


def unique_slug(card: Card) -> str:
    base = slugify(card.full_name) or "card"
    if len(base) < 2:
        base = "card"
    for _ in range(20):
        candidate = f"{base}-{secrets.token_hex(2)}"
        if not db.session.execute(db.select(Card.id).filter_by(slug=candidate)).first():
            return candidate
    raise ValidationError(
        "Could not pick a page address; choose one.", {"slug": "Choose one."}
    )


def public_base_url() -> str:
    """The address phones reach Morrow at: PUBLIC_URL, else this request's host."""
    configured = current_app.config.get("PUBLIC_URL")
    if configured:
        return configured
    return request.host_url.rstrip("/")


# Addresses that only this machine or its local network can reach.
LOCAL_NETWORKS = tuple(
    ipaddress.ip_network(n)
    for n in (
        "127.0.0.0/8",
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "169.254.0.0/16",
        "::1/128",
        "fc00::/7",
        "fe80::/10",
    )
)


def is_local_host(host: str) -> bool:
    """True for a loopback or private-network host ("127.0.0.1:5000", "mac.local")."""
    try:
        name = urlsplit("//" + host).hostname or ""
    except ValueError:  # "[::1" and the like: no link can be built on it either
        return True
    if name in {"localhost", ""} or name.endswith((".localhost", ".local")):
        return True
    try:
        address = ipaddress.ip_address(name.split("%", 1)[0])
    except ValueError:
        return False
    if address.version == 6 and address.ipv4_mapped:
        address = address.ipv4_mapped
    return any(address in network for network in LOCAL_NETWORKS)


def links_are_local() -> bool:
    """True when the links Morrow hands out would only work on this network.

    That is when PUBLIC_URL is unset and the page was asked for by a loopback or
    private address: a link built from it is dead for anyone who receives it.
    """
    return not current_app.config.get("PUBLIC_URL") and is_local_host(request.host)


def shareable_base_url() -> str | None:
    """public_base_url(), or None when the only base is a loopback/private one."""
    return None if links_are_local() else public_base_url()


def shareable_card_url(card: Card | None) -> str | None:
    """The public page's address for messages sent to others, or None.

    None while the card is not public, and while the only address known is one
    the recipient cannot reach (see links_are_local): a draft then leaves the
    link out rather than send a dead one.
    """
    if card is None or shareable_base_url() is None:
        return None
    return public_card_url(card)


def public_card_url(card: Card) -> str | None:
    """The public page's address, or None while the card is not public yet."""
    if not card.slug or not card.published:
        return None
    return public_base_url() + url_for("public.card", slug=card.slug)


def card_to_dict(card: Card) -> CardJSON:
    return {
        "first_name": card.first_name,
        "last_name": card.last_name,
        "headline": card.headline,
        "company": card.company,
        "email": card.email,
        "phone": card.phone,
        "website": card.website,
        "linkedin": card.linkedin,
        "links": list(card.links or []),
        "pitch": card.pitch,
        "slug": card.slug,
        "public_fields": list(card.public_fields or []),
        "public_url": public_card_url(card),
        "published": card.published,
        "view_count": card.view_count,
        "exchange_count": card.exchange_count,
    }
