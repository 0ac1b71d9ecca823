-- chipgate store schema, version 3 (SQLite). Same as ../postgresql/0003_row_bindings.sql.
--
-- audit_log.bound: the content hashes of the rows a record created or changed (decisions and their
-- audit link, API keys and roles, installed scenarios, rule versions, list snapshots and their
-- parties, products), as a JSON array of [table, key, sha256] (src/store/row_bindings.h). It is
-- covered by the record's hash (hash rule version 2), so `chipgate audit verify` names a row edited
-- outside the store. NULL for the records written before this migration (hash rule version 1); the
-- store binds the rows those records wrote, as they stand, in one record written by this migration
-- (kind store.bind_rows).
ALTER TABLE audit_log ADD COLUMN bound TEXT;

-- The row the store's write probe (Store::check_writable, the server's /readyz) rewrites: a write
-- that commits proves that a decision could be recorded now. Outside the chain: it changes nothing
-- the service answers or allows.
CREATE TABLE store_probe (
  singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
  at        TEXT NOT NULL
);
INSERT INTO store_probe (singleton, at) VALUES (1, '');
