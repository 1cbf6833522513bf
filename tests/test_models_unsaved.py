"""models.unsaved: a new object built without attribute events reads and saves
like one built with its constructor."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import insert

from app.extensions import db
from app.models import Contact, FollowUp, insert_row, unsaved

NOW = dt.datetime(2026, 3, 4, 18, 30, tzinfo=dt.UTC)


def test_fields_and_column_defaults_read_as_the_constructor_gives_them(app, user):
    with app.app_context():
        fields = {
            "id": "1b4e28ba-2fa1-11d2-883f-0016d3cca427",
            "user_id": user,
            "met_at": NOW,  # the time defaults would differ by microseconds
            "created_at": NOW,
            "updated_at": NOW,
        }
        quick = unsaved(Contact, name="Ada", **fields)
        built = Contact(name="Ada", **fields)
        insert_row(built)  # fills the constructor's object's defaults
        for column in Contact.__table__.columns:
            if column.key == "search_text":  # worked out by Contact's __init__
                continue
            assert getattr(quick, column.key) == getattr(built, column.key), column
        assert insert_row(quick) == {
            k: v for k, v in insert_row(built).items() if k != "search_text"
        } | {"search_text": quick.search_text}


def test_per_row_defaults_are_not_shared(app, user):
    with app.app_context():
        one = unsaved(Contact, id="a", user_id=user, name="A")
        two = unsaved(Contact, id="b", user_id=user, name="B")
        one.tags.append("mentor")
        assert two.tags == []
        assert one.extras is not two.extras


def test_a_numbered_key_is_left_to_the_database(app, user):
    with app.app_context():
        db.session.execute(
            insert(Contact.__table__),
            [insert_row(unsaved(Contact, id="c1", user_id=user, name="Cy"))],
        )
        followup = unsaved(
            FollowUp,
            user_id=user,
            contact_id="c1",
            kind="thank_you",
            key="thank_you",
            due_at=NOW,
            status="pending",
            created_at=NOW,
        )
        assert "id" not in insert_row(followup)
        # Added to the session it is inserted like any new object.
        db.session.add(followup)
        db.session.commit()
        stored = db.session.get(FollowUp, followup.id)
        assert stored is not None and stored.contact_id == "c1"
        assert stored.due_at == NOW and stored.snoozed_until is None
