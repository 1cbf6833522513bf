"""Turning the owner's notes to self into the words of a message.

What the owner types at a meetup is a note to self ("send him our deck",
"she hates dark patterns"), not a sentence for the person. A draft never pastes
it raw into a template sentence: these rules turn it into the message's words,
or leave it out. Pure functions: no database, no request. Nothing here changes
what is stored; the person's page always shows the notes as typed.

Promises (`promise_sentence`) become sentences to the recipient, without the
final full stop (the template brings it):

- A promise may hold several to-dos: one per line or sentence, or after ";",
  or joined by ",", "+", "&", "and", "then" before a verb listed below. Each
  becomes a sentence; "As promised" is said once.
- Filler before the to-do is dropped: "I'll", "I will", "will", "to", "also",
  "promised to", "remember to", "need to", "must", "todo:", a dash or bullet.
- Pronouns that mean the recipient become "you"/"your": him, them, her
  (object: before "to", "about", "next", "the"…, or at the end), his, their,
  her (before a noun), he/she/they (with the verb agreeing: "she wants" →
  "you want", "he is" → "you are"), hers, himself…. "my", "our", "me" stay,
  and a lone "i" becomes "I".
- Shapes, as the recipient reads them:
  - send/email/mail/text/message/dm/give X (also "send him X", "send X to
    him") → "As promised, I'm sending you X"; forward X → "As promised, I'm
    forwarding you X"; share X → "As promised, I'm sharing X with you";
    "send it" → "As promised, here it is"; sending to someone else ("send X
    to Lena", with no "him" after the verb) → "I'll send X to Lena".
  - introduce/intro/connect/put in touch (them) to/with Y → "I'd like to
    introduce you to Y" ("connect you with Y", "put you in touch with Y").
  - a to-do that starts with an everyday verb (call, meet, review, check, add,
    submit, follow up, ask, invite, look into, let … know, …) → "I'll <to-do>":
    "call him next week about the internship" → "I'll call you next week about
    the internship".
  - a thing without a verb that starts with "the", "a", "my", "our"… ("the
    slides") → "As promised, I'm sending you the slides".
  - anything else (another language, symbols such as "€€€", a verb not listed,
    a to-do with nothing to send) is kept in the neutral frame
    "Following up on what I promised: “…”", spaces tidied and a sentence
    inside after the first starting with a capital. A promise is never
    dropped.

Topics (`topic_phrase`): what we talked about goes into a message only when it
reads as a short topic ("battery storage for energy co-ops"); the phrase
comes back without a trailing full stop, its first letter lower-cased when the
first word is an ordinary word (an article, an -ing word, a common noun), not a
name ("Rust in embedded devices" stays). Anything that reads as a note about
the person comes back empty and stays out of every message:

- more than one line or sentence, "!" or "?", more than 10 words or 80
  characters;
- third-person pronouns (he, she, they, him, her, his, their…) or the owner's
  own "I"/"me";
- a sentence's verb (is, was, has, wants, hates, likes, mentioned, said…) or a
  private remark (nervous, drunk, caught, gossip, salary, "at the bar"…);
- letters of a script other than Latin (Morrow can't tell a topic from a
  private note there).

Names (`name_for_greeting`): a first name typed all in lower case ("jürgen")
is capitalised ("Jürgen"); any other spelling is kept.
"""

from __future__ import annotations

import re
import unicodedata

NEUTRAL = "Following up on what I promised: “{}”"

SEND_VERBS = {
    "send": "sending",
    "email": "sending",
    "e-mail": "sending",
    "mail": "sending",
    "text": "sending",
    "message": "sending",
    "dm": "sending",
    "whatsapp": "sending",
    "give": "sending",
    "forward": "forwarding",
    "fwd": "forwarding",
    "share": "sharing",
}
INTRO_VERBS = {"introduce", "intro", "connect"}
DO_VERBS = set(
    """
    add answer apply arrange ask book bring buy call catch cc check come confirm
    contact cover dig do donate draft drop explore figure find fix follow get
    grab help hook host invite join lend let look loop make meet mention
    nominate order organise organize pay phone pick ping post prepare print
    publish reach read recommend record refer register remind reply respond
    review ring schedule see set show sign sort sponsor submit suggest take talk
    tell test think try update upload visit vouch write
    """.split()
)
DETERMINERS = {
    "the",
    "a",
    "an",
    "my",
    "our",
    "some",
    "this",
    "that",
    "these",
    "those",
}
FILLER = re.compile(
    r"^(?:[-–—*•·>]+\s*|todo:?\s+|to-do:?\s+|"
    r"(?:i\s+)?(?:promised|have|had|need|needs|must|should|want|gotta|got)\s+to\s+|"
    r"(?:don'?t\s+forget|remember)\s+to\s+|i'?ll\s+|i\s+will\s+|will\s+|"
    r"must\s+|should\s+|also\s+|then\s+|to\s+)+",
    re.I,
)
# Words after "her" that show it is the object ("send her the deck"), not a
# possessive ("review her PR").
_AFTER_OBJECT = set(
    """
    to with about on for at in from re next this tomorrow today tonight soon
    later asap when after before and or if whether back up over once again a an
    the my our his her their some any that what how why where know so by via
    into as than out off all both more in-person first now
    monday tuesday wednesday thursday friday saturday sunday weekend
    """.split()
)
_SPLIT = re.compile(r"\s*(?:[\n;]|(?<=[.!?])\s)\s*")
_JOINER = re.compile(r"(?:,\s*|\s+)(?:and\s+then|and|then|also|\+|&)\s+|,\s+", re.I)
_THIRD = {"he": "you", "she": "you", "they": "you"}
_AGREE = {
    "is": "are",
    "was": "were",
    "has": "have",
    "does": "do",
    "isn't": "aren't",
    "wasn't": "weren't",
    "hasn't": "haven't",
    "doesn't": "don't",
}
_CONTRACTED = {
    "he's": "you're",
    "she's": "you're",
    "they're": "you're",
    "he'll": "you'll",
    "she'll": "you'll",
    "they'll": "you'll",
    "he'd": "you'd",
    "she'd": "you'd",
    "they'd": "you'd",
    "they've": "you've",
}
_OBJECT = {"him": "you", "them": "you"}
_POSSESSIVE = {
    "his": "your",
    "their": "your",
    "hers": "yours",
    "theirs": "yours",
    "himself": "yourself",
    "herself": "yourself",
    "themselves": "yourself",
    "themself": "yourself",
}
_RECIPIENT = {"him", "her", "them"}
_WORD = re.compile(r"^([\"'“‘(]*)(.*?)([\"'”’).,;:!?…]*)$")


def _clean(text: str) -> str:
    """Collapse spaces; drop surrounding punctuation the template brings."""
    return " ".join((text or "").split()).strip(" .,;:")


def _agreeing(low: str) -> str | None:
    """The verb after "he"/"she" as it goes with "you" ("is" → "are")."""
    if low in _AGREE:
        return _AGREE[low]
    if re.fullmatch(r"[a-z]{3,}s", low) and not low.endswith("ss"):
        return _singular(low)
    return None


def _pronoun(low: str, core: str, trail: str, nxt: str) -> tuple[str | None, bool]:
    """A word meaning the recipient, as "you"/"your": (new word, next agrees)."""
    if low in _THIRD:
        return "you", low != "they"
    if low in _CONTRACTED:
        return _CONTRACTED[low], False
    if low in _OBJECT:
        return "you", False
    if low in _POSSESSIVE:
        return _POSSESSIVE[low], False
    if low == "her":
        ends = not nxt or bool(trail) or nxt in _AFTER_OBJECT or nxt[:1].isdigit()
        return ("you" if ends else "your"), False
    if low == "i":
        return "I", False
    if low in ("i'm", "i'll", "i'd", "i've"):
        return "I" + core[1:], False
    return None, False


def _word_parts(word: str) -> tuple[str, str, str]:
    """(opening punctuation, the word, closing punctuation); _WORD fits any text."""
    match = _WORD.match(word)
    return (match[1], match[2], match[3]) if match else ("", word, "")


def _convert(words: list[str]) -> list[str]:
    """Turn pronouns that mean the recipient into "you"/"your"."""
    out: list[str] = []
    agree_next = False
    for i, word in enumerate(words):
        lead, core, trail = _word_parts(word)
        low = core.lower().replace("’", "'")
        nxt = _word_parts(words[i + 1])[1].lower() if i + 1 < len(words) else ""
        new = _agreeing(low) if agree_next else None
        agree_next = False
        if new is None:
            new, agree_next = _pronoun(low, core, trail, nxt)
        if new is not None and core[:1].isupper() and i == 0:
            new = new[:1].upper() + new[1:]
        out.append(lead + (new if new is not None else core) + trail)
    return out


def _singular(verb: str) -> str:
    """Return the form of a third-person verb that goes with "you"."""
    if verb.endswith("ies"):
        return verb[:-3] + "y"
    if re.search(r"(ch|sh|x|z|o)es$", verb):
        return verb[:-2]
    return verb[:-1]


def _has_word(text: str) -> bool:
    return any(ch.isalnum() for ch in text)


def _strip_recipient(words: list[str], *connectors: str) -> list[str]:
    """Drop "him"/"to her"/"with them" where they stand for the recipient."""
    words = list(words)
    if words and words[0].lower() in _RECIPIENT:
        words = words[1:]
    for size in (2,):
        if len(words) >= size:
            tail = [w.lower().strip(".,;:!") for w in words[-size:]]
            if tail[0] in connectors and tail[1] in _RECIPIENT:
                words = words[:-size]
    return words


def _verb(word: str) -> str:
    return word.lower().strip(".,;:!").replace("’", "'")


def _todo_sentence(todo: str) -> str | None:
    """Phrase one to-do, or None when no rule fits."""
    words = todo.split()
    if not words:
        return None
    verb = _verb(words[0])
    rest = words[1:]
    if verb in ("put", "get") and [_verb(w) for w in rest[1:3]] == ["in", "touch"]:
        rest = _strip_recipient(rest)
        target = _strip_recipient(rest[2:])
        if target and _verb(target[0]) == "with":
            target = target[1:]
        if target and _has_word(" ".join(target)):
            return "I'd like to put you in touch with " + " ".join(_convert(target))
        return None
    if verb in INTRO_VERBS:
        return _intro(verb, rest)
    if verb in SEND_VERBS:
        return _send(verb, rest)
    if verb in DO_VERBS or (verb == "follow" and rest[:1] == ["up"]):
        converted = _convert([words[0].lower(), *rest])
        return "I'll " + " ".join(converted)
    if verb in DETERMINERS and _has_word(" ".join(rest)):
        return "As promised, I'm sending you " + " ".join(_convert(words))
    return None


def _intro(verb: str, rest: list[str]) -> str | None:
    words = rest
    if words and _verb(words[0]) in _RECIPIENT:
        words = words[1:]
        if words and _verb(words[0]) in ("to", "with", "and"):
            words = words[1:]
    else:
        words = _strip_recipient(words, "to", "with")
        if words and _verb(words[0]) in ("to", "with"):
            words = words[1:]
    if not words or not _has_word(" ".join(words)):
        return None
    target = " ".join(_convert(words))
    if verb == "connect":
        return f"I'd like to connect you with {target}"
    return f"I'd like to introduce you to {target}"


def _send(verb: str, rest: list[str]) -> str | None:
    words = rest
    if words and _verb(words[0]) in ("over", "across", "on"):
        words = words[1:]
    to_them = bool(words) and _verb(words[0]) in _RECIPIENT
    words = _strip_recipient(words, "to", "with", "for")
    if words and _verb(words[-1]) in ("over", "across", "along"):
        words = words[:-1]
    words = _strip_recipient(words, "to", "with", "for")
    if not words or not _has_word(" ".join(words)):
        return None
    if [_verb(w) for w in words] in (["it"], ["that"], ["this"], ["them"]):
        return "As promised, here it is"
    lowered = [_verb(w) for w in words]
    if not to_them and "to" in lowered[1:] and verb != "share":
        # Sending to someone else: the recipient reads what will happen.
        return "I'll " + " ".join(_convert([verb, *words]))
    thing = " ".join(_convert(words))
    if verb == "share":
        with_ = "" if " with " in f" {thing} " else " with you"
        return f"As promised, I'm sharing {thing}{with_}"
    return f"As promised, I'm {SEND_VERBS[verb]} you {thing}"


def _todos(text: str) -> list[str]:
    """Split a promise into to-dos at line breaks, ";" and "and <verb>"."""
    todos: list[str] = []
    for part in _SPLIT.split(text):
        pieces: list[str] = []
        rest = part
        while True:
            cut = None
            for match in _JOINER.finditer(rest):
                after = rest[match.end() :].split()
                verb = (
                    _verb(FILLER.sub("", " ".join(after[:3])).split()[0])
                    if after
                    else ""
                )
                if verb in SEND_VERBS or verb in INTRO_VERBS or verb in DO_VERBS:
                    cut = match
                    break
            if cut is None:
                pieces.append(rest)
                break
            pieces.append(rest[: cut.start()])
            rest = rest[cut.end() :]
        cleaned = (_clean(FILLER.sub("", _clean(p)).rstrip(" !?")) for p in pieces)
        todos += [p for p in cleaned if p]
    return todos


def _capitalise_sentences(text: str) -> str:
    return re.sub(r"([.!?]\s+)(\w)", lambda m: m.group(1) + m.group(2).upper(), text)


def promise_sentence(text: str | None) -> str:
    """Return the promise as sentences to the recipient (no final full stop)."""
    raw = _clean(text or "")
    if not raw:
        return ""
    todos = _todos(text or "")
    sentences = [_todo_sentence(todo) for todo in todos]
    if not todos or all(s is None for s in sentences):
        return NEUTRAL.format(_capitalise_sentences(raw))
    # Keep what reads well; quote the rest as typed.
    written = [
        s if s is not None else NEUTRAL.format(_capitalise_sentences(t))
        for s, t in zip(sentences, todos, strict=True)
    ]
    said = False
    for i, sentence in enumerate(written):
        if sentence.startswith("As promised, ") and not sentence.endswith("here it is"):
            if said:
                written[i] = sentence.removeprefix("As promised, ")
            said = True
    return ". ".join(s[:1].upper() + s[1:] for s in written)


_PRIVATE_WORDS = set(
    """
    he she they him her his hers their theirs them himself herself themselves
    i me i'm i'd i'll i've he's she's they're
    is was were has had does did isn't wasn't doesn't didn't hasn't
    wants want hates hate loves likes thinks says said told mentioned seems
    seemed looks looked sounds works worked lives lived knows prefers complained
    hopes plans asked moved quit left caught met
    nervous worried anxious stressed upset annoyed angry tired drunk hungover
    rude arrogant boring annoying awkward weird cute attractive flirty
    flirting divorce divorced pregnant sick fired salary gossip bar avoid
    careful secret confidential private lol haha tbh imo ugh meh
    """.split()
)
_ORDINARY_STARTS = set(
    """
    a an the some how what why when where building scaling hiring funding
    about ai battery batteries energy climate data design open machine mobile
    web remote solar heat wind carbon startup startups product products
    community public private local small new old green digital customer user
    users app apps cloud security privacy accessibility testing teaching
    research science health food music art urban city housing career careers
    jobs job work education learning language languages books book film
    photography travel cycling running coffee beer wine sustainability
    compilers type types embedded hardware software robots robotics quantum
    """.split()
)


def _latin_only(text: str) -> bool:
    for ch in text:
        if ch.isalpha() and not unicodedata.name(ch, "").startswith("LATIN"):
            return False
    return True


def topic_phrase(text: str | None) -> str:
    """Return the topic a message may mention, or "" for a private note."""
    raw = (text or "").strip()
    if not raw or "\n" in raw:
        return ""
    topic = _clean(raw)
    topic = re.sub(r"^(?:we\s+)?(?:talked\s+)?about\s+", "", topic, flags=re.I)
    if not _has_word(topic) or len(topic) > 80 or len(topic.split()) > 10:
        return ""
    if re.search(r"[!?]|[.…]\s|\s[-–—]\s", topic) or not _latin_only(topic):
        return ""
    words = {w.strip("\"'“”‘’(),.;:").lower().replace("’", "'") for w in topic.split()}
    if words & _PRIVATE_WORDS:
        return ""
    first = topic.split()[0]
    if (
        first[:1].isupper()
        and first[1:] == first[1:].lower()
        and (
            first.lower() in _ORDINARY_STARTS
            or re.fullmatch(r"[A-Z][a-z]{2,}ing", first)
        )
    ):
        topic = topic[:1].lower() + topic[1:]
    return topic


def name_for_greeting(name: str | None) -> str:
    """Return a first name for "Hi …,": capitalised when typed all lower case."""
    name = " ".join((name or "").split())
    if name and name == name.lower() and any(ch.isalpha() for ch in name):
        return re.sub(
            r"(^|[\s\-'])(\w)", lambda m: m.group(1) + m.group(2).upper(), name
        )
    return name
