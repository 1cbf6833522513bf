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
from .validation import (
    FieldErrors,
    clean_email,
    clean_linkedin,
    clean_phone,
    clean_text,
    clean_url,
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


def update_card(user: User, data: dict) -> Card:
    """Validate and save the card; every error names its field."""
    card = user.card or Card(user_id=user.id)
    errors = FieldErrors()
    values: dict = {}
    for field, limit in TEXT_LIMITS.items():
        if field in data:
            values[field] = errors.check(
                field, clean_text, data[field], field, limit, multiline=field == "pitch"
            )
    if "email" in data:
        values["email"] = errors.check("email", clean_email, data["email"])
    if "phone" in data:
        values["phone"] = errors.check(
            "phone", clean_phone, data["phone"], user.default_region
        )
    if "website" in data:
        values["website"] = errors.check("website", clean_url, data["website"])
    if "linkedin" in data:
        values["linkedin"] = errors.check("linkedin", clean_linkedin, data["linkedin"])
    if "links" in data:
        links = data["links"]
        if isinstance(links, str):
            links = [line for line in links.splitlines() if line.strip()]
        if not isinstance(links, list) or len(links) > MAX_LINKS:
            errors.add("links", f"Give at most {MAX_LINKS} links.")
        else:
            cleaned = [
                errors.check("links", clean_url, link, "links") for link in links
            ]
            values["links"] = [link for link in cleaned if link]
    if "public_fields" in data:
        public = data["public_fields"]
        if not isinstance(public, list) or any(f not in CARD_FIELDS for f in public):
            errors.add("public_fields", "public_fields must list card field names.")
        else:
            values["public_fields"] = [f for f in CARD_FIELDS if f in public]
    if "slug" in data:
        slug = (
            (data["slug"] or "").strip().lower()
            if isinstance(data["slug"], str)
            else None
        )
        if slug is None or not SLUG_RE.match(slug) or slug in RESERVED_SLUGS:
            errors.add(
                "slug",
                "Use 2–64 lower-case letters, digits and dashes for your page address.",
            )
        else:
            taken = db.session.execute(
                db.select(Card.id).filter(Card.slug == slug, Card.user_id != user.id)
            ).first()
            if taken:
                errors.add("slug", "That address is taken. Try another.")
            values["slug"] = slug
    errors.raise_if_any()
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
    name = urlsplit("//" + host).hostname or ""
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


def card_to_dict(card: Card) -> dict:
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
