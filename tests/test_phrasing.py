"""Drafts read as messages: notes to self are rephrased or left out.

Every capture of the corpus (tests/draft_corpus.py) is drafted in every kind
with the default templates, and each draft is checked against the rules of
app/phrasing.py and app/drafts.py.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.drafts import DEFAULTS, KINDS, draft_message, render
from app.models import Card, Contact, Event, FollowUp, User
from app.phrasing import name_for_greeting, promise_sentence, topic_phrase
from tests.draft_corpus import CORPUS

THIRD_PERSON = re.compile(r"\b(he|she|him|his|her|hers|they|them|their)\b", re.I)
QUOTED = re.compile(r"“[^”]*”")


def greeting(name: str) -> str:
    first = name.split()[0]
    return first.capitalize() if first == first.lower() else first


def drafted(entry: dict, kind: str, *, first_name: str | None = None) -> dict:
    """Draft one capture in one kind, without a database."""
    owner = User(email="kim@example.com")
    owner.card = Card(first_name="Kim", last_name="Park")
    person = Contact(
        name=entry["name"],
        first_name=first_name,
        email="p@example.com",
        talked_about=entry["talked_about"],
        promise=entry["promise"],
        notes=entry["notes"],
    )
    if entry["event"]:
        person.event = Event(name=entry["event"])
    introducer = Contact(name=entry["introducer"] or "Bo Berg", email="b@example.com")
    if kind == "intro_thanks":
        followup = FollowUp(kind=kind, contact=introducer, about=person)
    else:
        person.introduced_by = introducer if entry["introducer"] else None
        followup = FollowUp(kind=kind, contact=person)
    return draft_message(followup, owner, "https://morrow.example/c/kim", cache={})


def assert_reads_as_a_message(text: str) -> None:
    assert not re.search(r"[{}\[\]]", text), text
    assert " ." not in text and " ," not in text, text
    assert not re.search(r"(?<!\.)\.\.(?!\.)", text), text
    prose = re.sub(r"https?://\S+", "", QUOTED.sub("“”", text))
    assert not re.search(r"[!?,;:]\.", prose), text
    for start in re.findall(r"(?:^|\n|[.!?]\s+)(\w)", prose):
        assert not start.islower(), text
    assert len(text) < 900


CASES = [(i, kind) for i in range(len(CORPUS)) for kind in KINDS]


def test_the_corpus_is_big_and_varied():
    assert len(CORPUS) >= 60
    assert sum(bool(e["promise"]) for e in CORPUS) >= 60
    assert any(not e["topic"] and e["talked_about"] for e in CORPUS)
    assert any(re.search("[\u0400-\u04ff]", e["talked_about"]) for e in CORPUS)
    assert any(re.search("[\u3040-\u30ff]", e["talked_about"]) for e in CORPUS)


@pytest.mark.parametrize(("index", "kind"), CASES)
def test_every_corpus_draft_follows_the_rules(index, kind):
    entry = CORPUS[index]
    draft = drafted(entry, kind)
    body, subject = draft["body"], draft["subject"]
    assert_reads_as_a_message(body)
    assert not re.search(r"[{}\[\]]", subject)
    greeted = (
        entry["introducer"] or "Bo Berg" if kind == "intro_thanks" else entry["name"]
    )
    assert body.startswith(f"Hi {greeting(greeted)},\n\n"), body
    outside_quotes = QUOTED.sub("“”", body)
    # The private note and a note about the person are never in a message.
    if entry["notes"]:
        assert entry["notes"] not in body
    talked = entry["talked_about"].strip().rstrip(".")
    if talked and not entry["topic"]:
        assert talked[:20] not in body
        assert "talking about" not in body and "talked about" not in body
    if talked and entry["topic"] and kind == "thank_you":
        assert topic_phrase(talked) in body
    # What the owner typed is never pasted raw into a sentence; pronouns that
    # mean the recipient became "you".
    assert not THIRD_PERSON.search(outside_quotes.replace("Hi,", "")), body
    if kind == "promise":
        assert entry["names"] in body
        assert "here it is:" not in body
        raw = entry["promise"].lstrip("- ")
        if raw.split()[0].lower() in (
            "send",
            "email",
            "intro",
            "forward",
            "share",
            "dm",
        ):
            # Only as the owner's own "I'll …" (sending to someone else).
            pasted = outside_quotes.count(raw) - outside_quotes.count("I'll " + raw)
            assert pasted == 0, body


@pytest.mark.parametrize("kind", KINDS)
def test_a_draft_reads_right_without_a_first_name(kind):
    entry = {**CORPUS[0], "name": " ", "introducer": None}
    draft = drafted(entry, kind, first_name="")
    body = draft["body"]
    if kind != "intro_thanks":
        assert body.startswith("Hi,\n\n"), body
    assert " with at " not in body and " with." not in body, body
    assert_reads_as_a_message(body)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("send him our deck", "As promised, I'm sending you our deck"),
        (
            "intro her to Lena from Solarcoop",
            "I'd like to introduce you to Lena from Solarcoop",
        ),
        (
            "email him the pricing spreadsheet",
            "As promised, I'm sending you the pricing spreadsheet",
        ),
        ("review his operator PR", "I'll review your operator PR"),
        (
            "call him next week about the internship",
            "I'll call you next week about the internship",
        ),
        (
            "check if our lab can lend him a GPU",
            "I'll check if our lab can lend you a GPU",
        ),
        (
            "forward my friend Aisha's CV",
            "As promised, I'm forwarding you my friend Aisha's CV",
        ),
        ("share the slides with her", "As promised, I'm sharing the slides with you"),
        ("connect them with Jürgen", "I'd like to connect you with Jürgen"),
        ("put her in touch with Zoë", "I'd like to put you in touch with Zoë"),
        ("send it", "As promised, here it is"),
        ("send the deck to Lena", "I'll send the deck to Lena"),
        (
            "send him the link to the repo",
            "As promised, I'm sending you the link to the repo",
        ),
        (
            "send him our deck; intro him to Sven",
            "As promised, I'm sending you our deck. I'd like to introduce you to Sven",
        ),
        (
            "check whether she wants a visa letter",
            "I'll check whether you want a visa letter",
        ),
        ("- call her friday", "I'll call you friday"),
        (
            "send the deck. also call him",
            "As promised, I'm sending you the deck. I'll call you",
        ),
        ("€€€", "Following up on what I promised: “€€€”"),
        (
            "Unterlagen schicken",
            "Following up on what I promised: “Unterlagen schicken”",
        ),
        ("send over", "Following up on what I promised: “send over”"),
        ("", ""),
    ],
)
def test_promises_read_as_the_recipient_reads_them(typed, expected):
    assert promise_sentence(typed) == expected


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("battery storage for energy co-ops", "battery storage for energy co-ops"),
        ("Rust in embedded devices", "Rust in embedded devices"),
        ("Battery storage.", "battery storage"),
        ("Scaling Postgres", "scaling Postgres"),
        ("about open maps", "open maps"),
        (
            "His startup installs heat pumps in Brandenburg; wants a simpler customer app.",
            "",
        ),
        ("Caught her again at the bar — she mentioned a design lead role", ""),
        ("she hates dark patterns", ""),
        ("nervous about it", ""),
        ("wants a simpler customer app", ""),
        ("maps. Also bikes", ""),
        ("量子コンピュータ", ""),
        ("open maps\nand bikes", ""),
        ("x " * 12, ""),
    ],
)
def test_only_a_short_topic_may_go_into_a_message(typed, expected):
    assert topic_phrase(typed) == expected


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("jürgen", "Jürgen"),
        ("zoë", "Zoë"),
        ("jean-luc", "Jean-Luc"),
        ("McKenzie", "McKenzie"),
    ],
)
def test_a_first_name_typed_in_lower_case_is_capitalised(typed, expected):
    assert name_for_greeting(typed) == expected


def test_the_private_note_of_the_brief_stays_out_of_her_message():
    entry = CORPUS[2]
    for kind in KINDS:
        body = drafted(entry, kind)["body"]
        assert "bar" not in body and "design lead" not in body


@settings(max_examples=300, deadline=None)
@given(st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=120))
def test_any_promise_is_kept_and_drafted_as_clean_sentences(typed):
    sentence = promise_sentence(typed)
    assert bool(sentence) == any(
        ch.isalnum() or not ch.isspace() and ch not in ".,;:"
        for ch in typed.strip(" .,;:")
    )
    body = render(DEFAULTS["promise"][1], {"first_name": "Ana", "promise": sentence})
    prose = re.sub(r"“[^”]*”", "“”", body)
    assert " ." not in prose and "{" not in prose
    for start in re.findall(r"(?:^|\n|[.!?]\s+)(\w)", prose):
        assert not start.islower(), body
