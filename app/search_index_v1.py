"""The people search index as revisions b3f0c2d4e5a6 and d5e6f7a8b9c0 built it.

Frozen for those migrations: they built the index on the fields as typed. The
folded search text (app.search_text, revision c8d9e0f1a2b3) replaced it; see
app/search_index.py for the index as it is now.
"""

CREATE_STATEMENTS = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS contact_fts USING fts5(contact_id, user_id "
    "UNINDEXED, body, tokenize = 'trigram')",
    "CREATE TRIGGER IF NOT EXISTS contacts_search_insert AFTER INSERT ON contacts "
    "BEGIN INSERT INTO contact_fts (contact_id, user_id, body) VALUES (new.id, "
    "new.user_id, coalesce(new.name, '') || char(10) || coalesce(new.company, '') || "
    "char(10) || coalesce(new.title, '') || char(10) || coalesce(new.email, '') || "
    "char(10) || coalesce(new.talked_about, '') || char(10) || coalesce(new.promise, "
    "'') || char(10) || coalesce(new.notes, '') || char(10) || coalesce(new.tags, "
    "'')); END",
    "CREATE TRIGGER IF NOT EXISTS contacts_search_delete AFTER DELETE ON contacts "
    "BEGIN DELETE FROM contact_fts WHERE contact_fts MATCH 'contact_id : \"' || "
    "old.id || '\"'; END",
    "CREATE TRIGGER IF NOT EXISTS contacts_search_update AFTER UPDATE OF name, "
    "company, title, email, talked_about, promise, notes, tags ON contacts BEGIN "
    "DELETE FROM contact_fts WHERE contact_fts MATCH 'contact_id : \"' || old.id || "
    "'\"'; INSERT INTO contact_fts (contact_id, user_id, body) VALUES (new.id, "
    "new.user_id, coalesce(new.name, '') || char(10) || coalesce(new.company, '') || "
    "char(10) || coalesce(new.title, '') || char(10) || coalesce(new.email, '') || "
    "char(10) || coalesce(new.talked_about, '') || char(10) || coalesce(new.promise, "
    "'') || char(10) || coalesce(new.notes, '') || char(10) || coalesce(new.tags, "
    "'')); END",
)
FILL_STATEMENT = (
    "INSERT INTO contact_fts (contact_id, user_id, body) SELECT id, user_id, "
    "coalesce(contacts.name, '') || char(10) || coalesce(contacts.company, '') || "
    "char(10) || coalesce(contacts.title, '') || char(10) || coalesce(contacts.email, "
    "'') || char(10) || coalesce(contacts.talked_about, '') || char(10) || "
    "coalesce(contacts.promise, '') || char(10) || coalesce(contacts.notes, '') || "
    "char(10) || coalesce(contacts.tags, '') FROM contacts"
)
DROP_STATEMENTS = (
    "DROP TRIGGER IF EXISTS contacts_search_insert",
    "DROP TRIGGER IF EXISTS contacts_search_delete",
    "DROP TRIGGER IF EXISTS contacts_search_update",
    "DROP TABLE IF EXISTS contact_fts",
)
PG_CREATE_STATEMENTS = (
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS ix_contacts_search_trgm ON contacts USING gin "
    "((lower(coalesce(name, '') || ' ' || coalesce(company, '') || ' ' || "
    "coalesce(title, '') || ' ' || coalesce(email, '') || ' ' || "
    "coalesce(talked_about, '') || ' ' || coalesce(promise, '') || ' ' || "
    "coalesce(notes, '') || ' ' || coalesce(CAST(tags AS TEXT), ''))) gin_trgm_ops)",
)
PG_DROP_STATEMENTS = ("DROP INDEX IF EXISTS ix_contacts_search_trgm",)
