-- Views for auditors: text renderings of keys and values (binary-safe columns stay available beside them) and the
-- common aggregations. Runs unchanged on MySQL 8.x and MariaDB 10.11. Used by docs/audit.md.

-- Every change with readable names. key_text/value_text are the bytes read as UTF-8 (undecodable bytes show as '?').
CREATE VIEW kv_history AS
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
       h.event_time,
       h.consumed_at
FROM kv_changelog h;

-- Live keys only (tombstones hidden), as of the newest archived change.
CREATE VIEW kv_live AS
SELECT CONVERT(c.kv_key USING utf8mb4)   AS key_text,
       c.kv_key,
       CONVERT(c.kv_value USING utf8mb4) AS value_text,
       c.kv_value,
       c.version,
       c.event_time,
       c.updated_at
FROM kv_current c
WHERE c.deleted = 0;

-- Deletes that changed the logical state (client deletes; migration moves are excluded).
CREATE VIEW kv_deletes AS
SELECT h.id,
       CONVERT(h.kv_key USING utf8mb4)     AS key_text,
       h.kv_key,
       h.version,
       CONVERT(h.prev_value USING utf8mb4) AS deleted_value_text,
       h.group_id,
       h.log_index,
       h.event_time
FROM kv_changelog h
WHERE h.op = 'd' AND h.origin <> 'migration';

-- Changes per minute of event time, by operation (migration moves counted apart).
CREATE VIEW kv_change_rate_per_minute AS
SELECT DATE_FORMAT(h.event_time, '%Y-%m-%d %H:%i:00') AS minute_utc,
       COUNT(*)                                         AS changes,
       SUM(h.op = 'c' AND h.origin <> 'migration')     AS creates,
       SUM(h.op = 'u' AND h.origin <> 'migration')     AS updates,
       SUM(h.op = 'd' AND h.origin <> 'migration')     AS deletes,
       SUM(h.origin = 'migration')                      AS migration_moves
FROM kv_changelog h
GROUP BY DATE_FORMAT(h.event_time, '%Y-%m-%d %H:%i:00');
