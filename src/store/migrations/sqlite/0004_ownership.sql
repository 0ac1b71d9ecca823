-- chipgate store schema, version 4 (SQLite): ownership data for the Affiliates rule
-- (POST /v1/ownership, `chipgate serve --ownership FILE`). Same table as ../postgresql/0004_ownership.sql.
-- One row per (party, owner) pair, matched on the names as the screener normalises them (party_key,
-- owner_key); a later record of the same pair replaces the row, and the audit record of each import
-- keeps what was sent. percent is the decimal text as given, NULL when the share is unknown; as_of
-- is YYYY-MM-DD or NULL. Numbered 4 independently of version 3 (no dependency on its tables).
CREATE TABLE ownership (
  party_key TEXT NOT NULL,
  owner_key TEXT NOT NULL,
  party     TEXT NOT NULL,
  owner     TEXT NOT NULL,
  percent   TEXT,
  source    TEXT NOT NULL,
  as_of     TEXT,
  recorded  TEXT NOT NULL,
  actor     TEXT NOT NULL,
  audit_id  INTEGER NOT NULL REFERENCES audit_log (id),
  PRIMARY KEY (party_key, owner_key)
);
