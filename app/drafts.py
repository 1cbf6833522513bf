"""Drafted follow-up messages: templates, rendering, channels and links.

Template syntax (also explained on Settings → Message templates):

- `{first_name}` and the other placeholders in PLACEHOLDERS are replaced by
  the person's details; an unknown or empty one becomes nothing.
- `[ … ]` marks an optional part: it is dropped entirely when any placeholder
  inside it is empty, so "[We talked about {talked_about}. ]" vanishes for a
  person with no notes instead of leaving "We talked about ." behind.
- Afterwards doubled spaces, spaces before punctuation and runs of blank lines
  are tidied away.
- Values are the owner's notes turned into the message's words by
  app/phrasing.py: `{promise}` is a sentence to the person ("I'd like to
  introduce you to Lena", no final full stop), `{talked_about}` only a short
  topic (a note about the person is empty here), first names are capitalised.
  The person's private notes are never a value.

Limits: a template's subject has at most SUBJECT_MAX characters, its body at
most TEMPLATE_MAX and PLACEHOLDER_MAX placeholders; a rendered body stops at
DRAFT_MAX characters, cut at a word and ending in "…". Rendering stops adding
text once the limit is reached, so its work is bounded by the limit, not by
how often a template repeats a long value.
"""

from __future__ import annotations

import hashlib
import json
import re
from urllib.parse import quote

from .extensions import db
from .models import Contact, FollowUp, Template, User
from .phrasing import name_for_greeting, promise_sentence, topic_phrase
from .scheduling import first_name

KINDS = ("thank_you", "promise", "intro_thanks", "keep_in_touch")
KIND_LABELS = {
    "thank_you": "Thank-you",
    "promise": "Promise",
    "intro_thanks": "Thanks for the intro",
    "keep_in_touch": "Keep in touch",
}


def spoken_list(words: list[str]) -> str:
    """ "A", "A and B", "A, B and C": a list as a sentence says it."""
    if len(words) < 3:
        return " and ".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


PLACEHOLDERS = {
    "first_name": (
        "the person's first name (for an intro: the person you were introduced to)"
    ),
    "event": "the event where you met",
    "talked_about": (
        "what you talked about, when it is a short topic (private remarks never)"
    ),
    "promise": ("what you promised, as a sentence to them (“I'll call you next week”)"),
    "introducer_first_name": "the first name of who introduced you",
    "my_name": "your name, from your card",
    "my_card_url": "the link to your public card page",
}
CHANNEL_LABELS = {
    "email": "Email",
    "whatsapp": "WhatsApp",
    "sms": "SMS",
    "linkedin": "LinkedIn",
}
SUBJECT_MAX = 200
BODY_MAX = 5000  # an edited draft
TEMPLATE_MAX = 2000
PLACEHOLDER_MAX = 30
DRAFT_MAX = 2000
CUT = "…"

DEFAULTS: dict[str, tuple[str, str]] = {
    "thank_you": (
        "Great to meet you[ at {event}]",
        "Hi[ {first_name}],\n\n"
        "It was great to meet you[ at {event}]. "
        "[I really enjoyed talking about {talked_about}. ]"
        "Let's stay in touch.\n\n"
        "Best,\n{my_name}[\n{my_card_url}]",
    ),
    # It thanks them too: on the Queue page a thank-you due the same morning is
    # sent as part of this message.
    "promise": (
        "As promised",
        "Hi[ {first_name}],\n\n"
        "Thanks again for the chat[ at {event}].[ {promise}.]\n\n"
        "[It was good talking about {talked_about}. ]"
        "Let me know if there's anything else I can do.\n\n"
        "Best,\n{my_name}",
    ),
    "intro_thanks": (
        "Thank you for the introduction[ to {first_name}]",
        "Hi[ {introducer_first_name}],\n\n"
        "Thank you for connecting me[ with {first_name}][ at {event}]. "
        "[We had a great chat about {talked_about}. ]"
        "I'd be glad to return the favour.\n\n"
        "Best,\n{my_name}",
    ),
    "keep_in_touch": (
        "Catching up",
        "Hi[ {first_name}],\n\n"
        "It's been a while[ since {event}] — how are things going? "
        "[Last time we talked about {talked_about}; I'd love to hear how it went. ]"
        "Up for a coffee or a quick call in the next few weeks?\n\n"
        "Best,\n{my_name}",
    ),
}

_OPTIONAL = re.compile(r"\[([^\[\]]*)\]")
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
_MARK = re.compile(r"\x01([a-z_]+)\x01")


def render(template: str, values: dict[str, str], limit: int = DRAFT_MAX) -> str:
    """Fill a template, dropping optional parts whose values are missing.

    The result has at most `limit` characters; a longer one is cut at a word
    and ends in CUT. Text stops being added once the limit is passed.
    """
    cleaned: dict[str, str] = {}

    def value(name: str) -> str:
        if name not in cleaned:
            lines = (values.get(name) or "").split("\n")
            text = "\n".join(" ".join(line.split()) for line in lines).strip()
            # The template brings its own full stop; a value of bare punctuation
            # ("." typed in a hurry) counts as missing.
            text = text.strip(" .,;:")
            cleaned[name] = text if any(ch.isalnum() for ch in text) else ""
        return cleaned[name]

    def optional(match: re.Match) -> str:
        inner = match.group(1)
        if any(not value(name) for name in _PLACEHOLDER.findall(inner)):
            return ""
        return inner

    def mark(match: re.Match) -> str:
        return f"\x01{match.group(1)}\x01" if value(match.group(1)) else ""

    text = _OPTIONAL.sub(optional, template).replace("[", "").replace("]", "")
    # Tidy the skeleton, then insert values, so nothing a person typed is parsed.
    text = _tidy(_PLACEHOLDER.sub(mark, text))
    return _bounded(_MARK.split(text), value, limit)


def _bounded(pieces: list[str], value, limit: int) -> str:
    """Join skeleton pieces and values (odd pieces name one) up to `limit`."""
    out: list[str] = []
    size = 0
    for i, piece in enumerate(pieces):
        text = value(piece) if i % 2 else piece
        out.append(text[: limit + 1 - size])
        size += len(out[-1])
        if size > limit:
            return _cut("".join(out), limit)
    return "".join(out)


def _cut(text: str, limit: int) -> str:
    """Cut text to `limit` characters at a word, marked with CUT."""
    text = text[: limit - len(CUT)]
    head = text.rsplit(None, 1)[0] if " " in text[-80:] else text
    return head.rstrip(" .,;:\n") + CUT


def _tidy(text: str) -> str:
    lines = []
    for line in text.split("\n"):
        line = re.sub(r"[ \t]{2,}", " ", line).strip()
        line = re.sub(r" +([.,;:!?])", r"\1", line)
        lines.append(line)
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def template_for(user: User, kind: str, cache: dict | None = None) -> tuple[str, str]:
    """Return the owner's (subject, body) template for a kind, or the default."""
    if cache is None:
        cache = user_templates(user)
    return cache.get(kind) or DEFAULTS[kind]


def user_templates(user: User) -> dict[str, tuple[str, str]]:
    """Return the owner's edited templates by kind."""
    rows = db.session.execute(db.select(Template).filter_by(user_id=user.id)).scalars()
    return {row.kind: (row.subject, row.body) for row in rows}


def draft_values(followup: FollowUp, user: User, card_url: str | None) -> dict:
    """Collect the placeholder values for a follow-up."""
    recipient = followup.contact
    person = followup.about if followup.kind == "intro_thanks" else recipient
    person = person or recipient
    card = user.card
    introducer = recipient if followup.kind == "intro_thanks" else person.introduced_by
    return {
        "first_name": name_for_greeting(first_name(person)),
        "event": person.event.name if person.event is not None else "",
        "talked_about": topic_phrase(person.talked_about),
        "promise": promise_sentence(person.promise),
        "introducer_first_name": name_for_greeting(first_name(introducer)),
        "my_name": card.full_name if card is not None else "",
        "my_card_url": card_url or "",
    }


def inputs_digest(kind: str, body_template: str, values: dict) -> str:
    """Return a digest of what a template draft is made of (not the card link).

    A polished draft (app/polish.py) is shown while this is unchanged: a new
    promise, topic, name or template means a new template draft.
    """
    made_of = [
        kind,
        body_template,
        {k: v for k, v in values.items() if k != "my_card_url"},
    ]
    text = json.dumps(made_of, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def draft_message(
    followup: FollowUp,
    user: User,
    card_url: str | None = None,
    cache=None,
    polished: bool = True,
) -> dict[str, str]:
    """Return the follow-up's {subject, body}.

    The body is the owner's edit, else the text the owner's model polished
    while the draft's inputs are unchanged (polished=False leaves it out),
    else the template's.
    """
    subject_t, body_t = template_for(user, followup.kind, cache)
    values = draft_values(followup, user, card_url)
    subject = followup.subject
    if subject is None:
        subject = render(subject_t, values, SUBJECT_MAX).replace("\n", " ")
    body = followup.body
    if body is None and polished and followup.polished_body:
        if followup.polished_from == inputs_digest(followup.kind, body_t, values):
            body = followup.polished_body
    if body is None:
        body = render(body_t, values)
    return {"subject": subject, "body": body}


def channels_for(contact: Contact) -> list[str]:
    """Return the channels a person can be reached on, in order of preference."""
    available = []
    if contact.email:
        available.append("email")
    if contact.phone:
        available += ["whatsapp", "sms"]
    if contact.linkedin:
        available.append("linkedin")
    preferred = contact.preferred_channel
    if preferred in available:
        available.remove(preferred)
        available.insert(0, preferred)
    return available


def default_channel(contact: Contact) -> str | None:
    """Return the preferred channel, else the first the person can be reached on."""
    available = channels_for(contact)
    return available[0] if available else None


def _q(text: str) -> str:
    return quote(text, safe="")


def mailto_link(address: str, subject: str, body: str) -> str:
    """Return a mailto: URL with subject and body encoded per RFC 6068."""
    crlf = body.replace("\r\n", "\n").replace("\n", "\r\n")
    to = quote(address, safe="@+")
    return f"mailto:{to}?subject={_q(subject)}&body={_q(crlf)}"


def dialable(phone: str) -> str:
    """A stored number as tel: and sms: URLs take it: "+", then digits only."""
    plus = "+" if phone.lstrip().startswith("+") else ""
    return plus + "".join(ch for ch in phone if ch.isdigit())


def sms_link(phone: str, body: str) -> str:
    """Return an sms: URL (RFC 5724); a number kept as typed loses its spaces."""
    return f"sms:{dialable(phone)}?body={_q(body)}"


def whatsapp_link(phone: str, body: str) -> str:
    digits = "".join(ch for ch in phone if ch.isdigit())
    return f"https://wa.me/{digits}?text={_q(body)}"


def links_for(contact: Contact, draft: dict[str, str]) -> dict[str, str]:
    """Return the links that open each app with the draft filled in."""
    links: dict[str, str] = {}
    if contact.email:
        links["email"] = mailto_link(contact.email, draft["subject"], draft["body"])
    if contact.phone:
        links["sms"] = sms_link(contact.phone, draft["body"])
        links["whatsapp"] = whatsapp_link(contact.phone, draft["body"])
    if contact.linkedin:
        links["linkedin"] = contact.linkedin
    return links


def template_errors(subject: str, body: str) -> dict[str, str]:
    """Return problems with a template the owner typed (unknown placeholders…)."""
    errors: dict[str, str] = {}
    for field, text, limit in (
        ("subject", subject, SUBJECT_MAX),
        ("body", body, TEMPLATE_MAX),
    ):
        used = _PLACEHOLDER.findall(text)
        unknown = sorted(set(used) - set(PLACEHOLDERS))
        if len(text) > limit:
            errors[field] = f"At most {limit} characters."
        elif len(used) > PLACEHOLDER_MAX:
            errors[field] = f"At most {PLACEHOLDER_MAX} placeholders."
        elif unknown:
            errors[field] = f"Unknown placeholder {{{unknown[0]}}}."
        elif text.count("[") != text.count("]"):
            errors[field] = "Every [ needs a matching ]."
    if not body.strip():
        errors.setdefault("body", "The message can't be empty.")
    return errors


# A greeting is a short first paragraph ending in "," or "!" ("Hi Ana,"); a
# sign-off a last paragraph whose first line is a few words and a comma
# ("Best,\nKim Park").
_GREETING = re.compile(r"[^\n]{1,80}[,!]")
_SIGN_OFF = re.compile(r"[^\n.!?]{1,30},(?:\n|$)")
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+(?=\S)")


def _frame(body: str) -> tuple[str | None, list[str], str | None]:
    """Split a drafted body into (greeting, paragraphs, sign-off)."""
    paragraphs = [p for p in body.split("\n\n") if p.strip()]
    greeting = sign_off = None
    if len(paragraphs) > 1 and _GREETING.fullmatch(paragraphs[0]):
        greeting = paragraphs.pop(0)
    if len(paragraphs) > 1 and _SIGN_OFF.match(paragraphs[-1]):
        sign_off = paragraphs.pop()
    return greeting, paragraphs, sign_off


# "It was good talking about X." and "We had a great chat about X." say one thing.
_ABOUT = re.compile(r"\babout (.+?)[.!…]?$")


def _topic_of(sentence: str) -> str:
    """The topic a sentence talks about ("about X" ending it), else ""."""
    found = _ABOUT.search(sentence)
    return f"about: {found.group(1).casefold()}" if found else ""


def combine_drafts(drafts: list[dict[str, str]]) -> dict[str, str]:
    """Make one message of several drafts to the same person.

    The first draft gives the subject, the greeting and the sign-off; each
    other adds its paragraphs between them, without its own greeting and
    sign-off and without a sentence the message already says ("I'd be glad
    to return the favour." once). The body stops at DRAFT_MAX.
    """
    if len(drafts) == 1:
        return drafts[0]
    greeting, paragraphs, sign_off = _frame(drafts[0]["body"])
    said = {s for p in paragraphs for s in _SENTENCE_END.split(p)}
    said |= {_topic_of(s) for s in said} - {""}
    for draft in drafts[1:]:
        _, more, _ = _frame(draft["body"])
        for paragraph in more:
            sentences = [
                s
                for s in _SENTENCE_END.split(paragraph)
                if s not in said and _topic_of(s) not in said
            ]
            said.update(sentences)
            said |= {_topic_of(s) for s in sentences} - {""}
            if sentences:
                paragraphs.append(" ".join(sentences))
    body = "\n\n".join(p for p in (greeting, *paragraphs, sign_off) if p)
    if len(body) > DRAFT_MAX:
        body = _cut(body, DRAFT_MAX)
    return {"subject": drafts[0]["subject"], "body": body}
