-- An event's identity becomes (group_id, log_index, event_seq): one log entry may now carry many events (the r events
-- of an on-demand snapshot, seq 0..N-1, all at the snapshot's log index). Every other event has seq 0, so rows
-- archived before this migration keep their identity. Runs unchanged on MySQL 8.x and MariaDB 10.11.

-- One statement, so the table is never without its unique identity.
ALTER TABLE kv_changelog
  ADD COLUMN event_seq INT NOT NULL DEFAULT 0 AFTER log_index,
  DROP INDEX uk_changelog_identity,
  ADD UNIQUE KEY uk_changelog_identity (group_id, log_index, event_seq),
  ADD CONSTRAINT ck_changelog_event_seq CHECK (event_seq >= 0);

-- kv_history shows the new identity column beside log_index (same definition as V2 otherwise).
CREATE OR REPLACE VIEW kv_history AS
SELECT h.id,
       CONVERT(h.kv_key USING utf8mb4)     AS key_text,
       h.kv_key,
       h.version,
       CASE h.op WHEN 'c' THEN 'create' WHEN 'u' THEN 'update' WHEN 'd' THEN 'delete' ELSE 'snapshot' END AS operation,
       h.op,
       h.origin,
       CONVERT(h.kv_value USING utf8mb4)   AS value_text,
       CONVERT(h.prev_value USING utf8mb4) AS prev_value_text,
       h.kv_value,
       h.prev_value,
       h.group_id,
       h.log_index,
       h.event_seq,
       h.event_time,
       h.consumed_at
FROM kv_changelog h;
