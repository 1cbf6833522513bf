"""People search stays right on every write path, with or without the index."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text

from app.extensions import db


def capture(api, **fields) -> str:
    payload = {"id": str(uuid.uuid4()), **fields}
    response = api.post("/api/v1/contacts", json=payload)
    assert response.status_code == 201, response.data
    return payload["id"]


def found(api, q: str) -> list[str]:
    response = api.get("/api/v1/contacts", query_string={"q": q})
    assert response.status_code == 200
    return [item["name"] for item in response.get_json()["items"]]


def index_rows(app) -> int | None:
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            return None
        return db.session.execute(text("SELECT count(*) FROM contact_fts")).scalar()


def test_search_finds_substrings_in_every_searched_field(api):
    capture(
        api,
        name="Grace Hopper",
        company="Navy Labs",
        title="Rear admiral",
        email="grace@navy.example",
        talked_about="COBOL compilers",
        promise="send the nanosecond wire",
        tags=["pioneer"],
    )
    capture(api, name="Ada Lovelace")
    for q in (
        "hopp",
        "navy",
        "admiral",
        "grace@",
        "compil",
        "nanosecond",
        "pione",
        "Grace Hopper",
        "hopper compilers",
    ):
        assert found(api, q) == ["Grace Hopper"], q
    assert found(api, "hopper lovelace") == []


def test_search_ignores_case_including_accents(api):
    capture(api, name="Jürgen Müller")
    assert found(api, "müller") == ["Jürgen Müller"]
    # SQLite's trigram index folds Unicode case; PostgreSQL's lower() does too.
    assert found(api, "JÜRGEN") == ["Jürgen Müller"]


@pytest.mark.parametrize("rare", [True, False], ids=["index", "walk"])
def test_search_ignores_accents_and_case_in_every_script(api, monkeypatch, rare):
    import app.search_index as search_index

    if not rare:  # every word common: the row-by-row walk must agree
        monkeypatch.setattr(search_index.sparse_matches, "__defaults__", (0,))
    capture(api, name="Chloé Dubois")
    capture(api, name="Anna Böhm", company="Straße & Co")
    capture(api, name="Lucía Fernández", tags=["Málaga"])
    capture(api, name="Ольга Ёлкина")
    capture(api, name="Ἀλέξανδρος")
    for q, name in (
        ("chloe", "Chloé Dubois"),
        ("CHLOÉ", "Chloé Dubois"),
        ("bohm", "Anna Böhm"),
        ("BÖHM", "Anna Böhm"),
        ("strasse", "Anna Böhm"),
        ("lucia fernandez", "Lucía Fernández"),
        ("malaga", "Lucía Fernández"),
        ("елкина", "Ольга Ёлкина"),
        ("ОЛЬГА", "Ольга Ёлкина"),
        ("αλεξανδρος", "Ἀλέξανδρος"),
        ("lu", "Lucía Fernández"),
    ):
        assert found(api, q) == [name], q


def test_short_words_are_searched_without_the_index(api):
    capture(api, name="Bo Li", company="XY")
    assert found(api, "li") == ["Bo Li"]
    assert found(api, "bo xy") == ["Bo Li"]


def test_edits_merges_and_deletes_keep_the_index_in_step(app, api):
    first = capture(api, name="Linus Old", email="linus@example.com")
    assert found(api, "old") == ["Linus Old"]
    api.patch(f"/api/v1/contacts/{first}", json={"name": "Linus New"})
    assert found(api, "old") == []
    assert found(api, "new") == ["Linus New"]
    second = capture(api, name="Linus Twin", email="linus@example.com")
    assert (
        api.post(
            f"/api/v1/contacts/{first}/merge", json={"other_id": second}
        ).status_code
        == 200
    )
    # The other name stays as an alias that search finds, on the one person.
    assert found(api, "twin") == ["Linus New"]
    assert found(api, "linus") == ["Linus New"]
    api.delete(f"/api/v1/contacts/{first}")
    assert found(api, "linus") == []
    assert index_rows(app) in (0, None)


def test_imported_people_are_searchable(api):
    card = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Imported Ingrid\r\nORG:Fjord AS\r\nEND:VCARD\r\n"
    response = api.post(
        "/api/v1/contacts/import", data=card.encode(), content_type="text/vcard"
    )
    assert response.get_json()["imported"] == 1
    assert found(api, "fjord") == ["Imported Ingrid"]


def test_search_never_finds_another_accounts_people(
    app, api, client, make_user, token_for
):
    other = make_user("other@example.com")
    headers = {"Authorization": f"Bearer {token_for(other)}"}
    client.post(
        "/api/v1/contacts",
        headers=headers,
        json={"id": str(uuid.uuid4()), "name": "Secret Sigrid"},
    )
    assert found(api, "sigrid") == []


def test_deleting_the_account_empties_its_part_of_the_index(app, owner, api):
    from tests.conftest import PASSWORD

    capture(api, name="Gone Gunnar")
    owner.form("/settings/delete", {"password": PASSWORD})
    assert index_rows(app) in (0, None)


def test_sqlite_answers_long_words_from_the_index(app, api, count_queries):
    capture(api, name="Indexed Iris")
    with count_queries() as statements:
        assert found(api, "iris") == ["Indexed Iris"]
    used_index = any("contact_fts MATCH" in s for s in statements)
    with app.app_context():
        assert used_index == (db.engine.dialect.name == "sqlite")


def test_common_and_rare_words_together_find_the_same_people(api, monkeypatch):
    import app.search_index as search_index

    for n in range(5):
        capture(api, name=f"Common Carla {n}", company="Widgets")
    capture(api, name="Common Rarity", company="Widgets")
    expected = found(api, "common rarity")
    assert expected == ["Common Rarity"]
    # With a tiny cap every word counts as common: the LIKE scan must agree.
    monkeypatch.setattr(search_index, "SPARSE_CAP", 1)
    monkeypatch.setattr(search_index.sparse_matches, "__defaults__", (1,))
    assert found(api, "common rarity") == expected
    assert len(found(api, "widgets")) == 6
    assert found(api, "widgets carla 3") == ["Common Carla 3"]


def test_tags_are_found_as_typed_accents_included(api, monkeypatch):
    import app.search_index as search_index

    capture(api, name="Jo Café", tags=["café-owners", "brunch"])
    capture(api, name="Ada Lovelace", tags=["engines"])
    for q in ("café-owners", "café", "caf", "owners", "brunch"):
        assert found(api, q) == ["Jo Café"], q
    # Read row by row, as a common word is: the same answers.
    monkeypatch.setattr(search_index.sparse_matches, "__defaults__", (0,))
    for q in ("café-owners", "café", "caf", "owners", "brunch", "jo caf"):
        assert found(api, q) == ["Jo Café"], q
    assert found(api, "engines") == ["Ada Lovelace"]


def planned_search(app, api, user, q: str) -> tuple[list[str], str]:
    """Search among 20,000 Müllers on PostgreSQL: (names found, the query's plan)."""
    import datetime as dt

    from sqlalchemy import event, insert

    from app.models import Contact

    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("pg_trgm is PostgreSQL's; SQLite's FTS5 is tested above")
        now = dt.datetime(2026, 3, 10, tzinfo=dt.UTC)
        rows = [
            {
                "id": str(uuid.uuid4()),
                "user_id": user,
                "name": f"Person {n} Müller",
                "talked_about": "Moving from teaching into UX research",
                "tags": ["meetup"],
                "met_at": now,
                "created_at": now - dt.timedelta(minutes=n),
                "updated_at": now,
            }
            for n in range(20000)
        ]
        db.session.execute(insert(Contact), rows)
        db.session.commit()
        # As autovacuum does after a bulk load: the trigram index's pending
        # entries merged, statistics gathered on the searched text.
        autocommit = db.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        with autocommit as conn:
            conn.execute(text("VACUUM ANALYZE contacts"))
        engine = db.engine
    capture(api, name="Zanzibar Zoe")
    seen: list[tuple[str, dict]] = []

    def record(conn, cursor, statement, parameters, *args):
        seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        names = found(api, q)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    # The search's own query, as the app sent it, planned by PostgreSQL.
    statement, parameters = next((s, p) for s, p in seen if "LIKE" in s)
    with app.app_context():
        raw = db.engine.raw_connection()
        try:
            cursor = raw.cursor()
            cursor.execute("EXPLAIN " + statement, parameters)
            plan = "\n".join(row[0] for row in cursor.fetchall())
        finally:
            raw.close()
    return names, plan


def test_postgresql_answers_rare_words_from_the_trigram_index(app, api, user):
    from app.search_index import PG_INDEX

    names, plan = planned_search(app, api, user, "zanzibar")
    assert names == ["Zanzibar Zoe"]
    assert PG_INDEX in plan, plan


def test_postgresql_walks_newest_first_for_a_common_word(app, api, user):
    """Every person matches: reading the index would fetch all 20,000 first."""
    from app.search_index import PG_INDEX

    names, plan = planned_search(app, api, user, "müller")
    assert names == [f"Person {n} Müller" for n in range(50)]
    assert PG_INDEX not in plan, plan
    assert "ix_contacts_user_created" in plan, plan
