-- chipgate store schema, version 2 (PostgreSQL): scenarios installed through the API (POST
-- /v1/scenarios). Same table as ../sqlite/0002_installed_scenarios.sql. The TOML text is kept
-- exactly as installed (its SHA-256 in toml_sha256) so that every instance sharing the store
-- compiles the same rules at start; a name is installed once (the primary key) and never changes.
CREATE TABLE installed_scenarios (
  name        TEXT PRIMARY KEY,
  toml        TEXT NOT NULL,
  toml_sha256 TEXT NOT NULL,
  installed   TEXT NOT NULL,
  actor       TEXT NOT NULL,
  audit_id    BIGINT NOT NULL REFERENCES audit_log (id)
);
