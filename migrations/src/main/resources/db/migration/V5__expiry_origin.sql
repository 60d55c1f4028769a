-- TTL (docs/ttl.md): a key whose time to live ran out is deleted by its shard group itself, and its 'd' event has the
-- origin 'expiry', so an auditor can tell it from a client's delete. Like a client's delete it changes kv_current
-- (deleted = 1). Runs unchanged on MySQL 8.x (8.0.19+) and MariaDB 10.11.
ALTER TABLE kv_changelog DROP CONSTRAINT ck_changelog_origin;
ALTER TABLE kv_changelog ADD CONSTRAINT ck_changelog_origin
  CHECK (origin IN ('client', 'migration', 'snapshot', 'expiry'));
