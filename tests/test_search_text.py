"""fold: the text people search, without case or accents, in every script."""

from __future__ import annotations

import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from app import search_text
from app.search_text import fold, searchable_text


def by_definition(text: str) -> str:
    """fold as its docstring defines it, a character at a time."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return unicodedata.normalize("NFC", bare.casefold())


def test_accents_and_case_go_and_scripts_keep_their_letters() -> None:
    assert fold("Böhm") == "bohm"
    assert fold("LUCÍA") == "lucia"
    assert fold("Straße") == "strasse"
    assert fold("Zoe\u0308") == "zoe"  # a combining diaeresis typed apart
    assert fold("한국어") == "한국어"  # Hangul composes back to one syllable each
    assert fold("ＡＢＣ") == "abc"  # full-width letters
    assert fold("") == "" and fold(None) == ""  # type: ignore[arg-type]


@given(st.text())
def test_fold_is_its_definition(text: str) -> None:
    assert fold(text) == by_definition(text)


def test_the_learnt_table_stays_small_and_right_past_its_cap() -> None:
    # Every letter of a wide range: more than the table keeps.
    text = "".join(chr(c) for c in range(0x0300, 0x0300 + 3 * search_text.BARE_CACHE))
    assert fold(text) == by_definition(text)
    assert len(search_text._BARE) <= search_text.BARE_CACHE
    assert fold(text) == by_definition(text)  # and again, from the table


def test_searchable_text_holds_each_field_once_folded() -> None:
    text = searchable_text(
        {
            "name": "Jürgen Groß",
            "email": "J@Example.com",
            "tags": ["Café"],
            "extras": {"phone": ["+49 30 1"], "name": ["Jörg"]},
        }
    )
    assert [line for line in text.split("\n") if line] == [
        "jurgen gross",
        "j@example.com",
        "cafe",
        "+49 30 1",
        "jorg",
    ]
