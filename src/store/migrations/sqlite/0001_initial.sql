-- chipgate store schema, version 1 (SQLite). Same tables and semantics as
-- ../postgresql/0001_initial.sql; only the column types differ. Times are UTC text
-- "YYYY-MM-DDTHH:MM:SS.mmmZ"; JSON is stored as text exactly as hashed.

-- The hash-chained audit log. Ids are assigned by the store (chain head + 1), never reused.
CREATE TABLE audit_log (
  id               INTEGER PRIMARY KEY,
  time             TEXT NOT NULL,
  actor            TEXT NOT NULL,
  kind             TEXT NOT NULL,
  inputs           TEXT NOT NULL,
  outputs          TEXT NOT NULL,
  rule_set_id      TEXT NOT NULL,
  rule_set_hash    TEXT NOT NULL,
  list_snapshot_id TEXT NOT NULL,
  prev_hash        TEXT NOT NULL,
  hash             TEXT NOT NULL
);
CREATE INDEX audit_log_time ON audit_log (time);

-- The single chain-head row: the lock every append takes, and the check that nothing was cut
-- off the end of the chain.
CREATE TABLE audit_head (
  singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
  last_id   INTEGER NOT NULL,
  last_hash TEXT NOT NULL
);
INSERT INTO audit_head (singleton, last_id, last_hash)
  VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

-- Decisions: an index onto their audit records (inputs and outputs live only there).
CREATE TABLE decisions (
  id       INTEGER PRIMARY KEY AUTOINCREMENT,
  audit_id INTEGER NOT NULL UNIQUE REFERENCES audit_log (id),
  time     TEXT NOT NULL,
  actor    TEXT NOT NULL,
  kind     TEXT NOT NULL
);

CREATE TABLE list_snapshots (
  id            TEXT PRIMARY KEY,
  imported      TEXT NOT NULL,
  actor         TEXT NOT NULL,
  source_counts TEXT NOT NULL,
  total         INTEGER NOT NULL,
  details       TEXT NOT NULL,
  audit_id      INTEGER NOT NULL REFERENCES audit_log (id)
);
CREATE INDEX list_snapshots_imported ON list_snapshots (imported);

CREATE TABLE parties (
  snapshot_id TEXT NOT NULL REFERENCES list_snapshots (id),
  seq         INTEGER NOT NULL,
  list_id     TEXT NOT NULL,
  name        TEXT NOT NULL,
  country     TEXT NOT NULL,
  data        TEXT NOT NULL,
  PRIMARY KEY (snapshot_id, seq)
);

CREATE TABLE rule_versions (
  seq           INTEGER PRIMARY KEY AUTOINCREMENT,
  rule_set_id   TEXT NOT NULL,
  rule_set_hash TEXT NOT NULL,
  scenario      TEXT NOT NULL,
  installed     TEXT NOT NULL,
  actor         TEXT NOT NULL,
  audit_id      INTEGER NOT NULL REFERENCES audit_log (id)
);

CREATE TABLE products (
  id       TEXT PRIMARY KEY,
  data     TEXT NOT NULL,
  updated  TEXT NOT NULL,
  audit_id INTEGER NOT NULL REFERENCES audit_log (id)
);

-- API keys: only the SHA-256 of the secret is kept.
CREATE TABLE api_keys (
  id       TEXT PRIMARY KEY,
  key_hash TEXT NOT NULL UNIQUE,
  name     TEXT NOT NULL,
  role     TEXT NOT NULL CHECK (role IN ('viewer', 'analyst', 'admin')),
  created  TEXT NOT NULL,
  expires  TEXT,
  revoked  TEXT
);
