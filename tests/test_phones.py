"""One phone rule for capture, edit and import (validation.read_phone).

A valid number is stored in E.164 and shown in the international format. A
number phonenumbers calls possible but not valid (a new range, a typo to fix
later) is saved as typed, with a warning: never refused, never dropped.
Text that can't be a number stays a field error in capture, and goes to the
notes with a warning in an import.
"""

from __future__ import annotations

import io

from app.extensions import db
from app.models import Contact

# Possible in Germany (the owner's region is DE) but in no assigned range.
ODD = "+49 1999 1234567"


def person(app) -> Contact:
    with app.app_context():
        return db.session.execute(db.select(Contact)).scalar_one()


def upload(api, data: bytes, name: str):
    return api.post(
        "/api/v1/contacts/import",
        data={"file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    ).get_json()


def test_api_capture_keeps_a_possible_number_as_typed_and_warns(api, app):
    body = api.post("/api/v1/contacts", json={"name": "Ann", "phone": ODD}).get_json()
    assert body["phone"] == ODD
    assert len(body["warnings"]) == 1 and ODD in body["warnings"][0]
    valid = api.post(
        "/api/v1/contacts", json={"name": "Bo", "phone": "0151 23456789"}
    ).get_json()
    assert valid["phone"] == "+4915123456789" and valid["warnings"] == []


def test_a_batch_item_warns_of_a_number_kept_as_typed_as_a_capture_does(api):
    items = [
        {"id": "3f0e5a4c-1b7d-4c8e-9a2f-6d5b4c3a2e10", "name": "Ann", "phone": ODD},
        {"id": "3f0e5a4c-1b7d-4c8e-9a2f-6d5b4c3a2e11", "name": "Bo"},
    ]
    results = api.post("/api/v1/contacts/batch", json={"items": items}).get_json()
    ann, bo = (r["contact"] for r in results["results"])
    assert ann["phone"] == ODD
    assert len(ann["warnings"]) == 1 and ODD in ann["warnings"][0]
    assert bo["warnings"] == []
    # Sent again, the stored people answer the same way.
    again = api.post("/api/v1/contacts/batch", json={"items": items}).get_json()
    assert [r["status"] for r in again["results"]] == [200, 200]
    assert again["results"][0]["contact"]["warnings"] == ann["warnings"]


def test_api_capture_still_refuses_text_that_is_no_number(api):
    for text in ("12", "call me"):
        response = api.post("/api/v1/contacts", json={"name": "Ann", "phone": text})
        assert response.status_code == 400
        assert "phone" in response.get_json()["error"]["fields"]


def test_capture_page_saves_it_as_typed_and_says_so(owner, app):
    saved = owner.form("/capture", {"name": "Ann", "reach": ODD, "action": "another"})
    assert saved.status_code == 302
    assert person(app).phone == ODD
    page = owner.get("/capture").get_data(as_text=True)
    assert "Saved Ann ✓" in page and f"{ODD} was saved as typed" in page


def test_edit_page_saves_it_as_typed_and_says_so(owner, app):
    owner.form("/capture", {"name": "Ann"})
    contact_id = person(app).id
    saved = owner.form(f"/people/{contact_id}/edit", {"name": "Ann", "phone": ODD})
    assert saved.status_code == 302
    assert person(app).phone == ODD
    page = owner.get(f"/people/{contact_id}").get_data(as_text=True)
    assert f"{ODD} was saved as typed" in page


def test_vcard_import_keeps_it_as_typed_with_one_warning(api, app):
    card = f"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ann\r\nTEL:{ODD}\r\nEND:VCARD\r\n"
    body = upload(api, card.encode(), "ann.vcf")
    assert body["imported"] == 1
    assert [w for w in body["warnings"] if "left out" in w] == []
    assert any("kept as typed" in w for w in body["warnings"])
    assert person(app).phone == ODD


def test_csv_import_keeps_it_as_typed_with_one_warning(api, app):
    body = upload(api, f"name,phone\nAnn,{ODD}\n".encode(), "people.csv")
    assert body["imported"] == 1
    assert [w for w in body["warnings"] if "left out" in w] == []
    assert any("kept as typed" in w for w in body["warnings"])
    assert person(app).phone == ODD


def test_valid_numbers_are_shown_in_the_international_format(owner, app):
    owner.form("/capture", {"name": "Ann", "reach": "0151 23456789"})
    assert person(app).phone == "+4915123456789"
    shown = "+49 1512 3456789"  # phonenumbers' INTERNATIONAL format
    assert shown in owner.get(f"/people/{person(app).id}").get_data(as_text=True)
    assert shown in owner.get("/people").get_data(as_text=True)
