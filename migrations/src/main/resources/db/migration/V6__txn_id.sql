-- Transactions (POST /v1/txn): each change of a client transaction is its own row, as before; txn_id names the
-- transaction, '<group_id>:<log_index>' (its Raft log entry, the event's source.txn_id), and is NULL for every change
-- made outside one. Rows sharing a (group_id, log_index) without a txn_id were group-committed together, which says
-- nothing about the clients' intent, so the column is kept rather than derived. Runs unchanged on MySQL 8.x and
-- MariaDB 10.11.

-- 63 characters of group, ':' and at most 13 digits of log index (2^40).
ALTER TABLE kv_changelog
  ADD COLUMN txn_id VARCHAR(80) CHARACTER SET ascii COLLATE ascii_bin NULL AFTER event_seq,
  ADD KEY idx_changelog_txn (txn_id);

-- The append-only trigger compares every column (V4): txn_id joins the comparison.
DROP TRIGGER kv_changelog_no_update;

DELIMITER //

CREATE TRIGGER kv_changelog_no_update BEFORE UPDATE ON kv_changelog FOR EACH ROW
BEGIN
  IF NOT (NEW.id <=> OLD.id AND NEW.group_id <=> OLD.group_id AND NEW.log_index <=> OLD.log_index
          AND NEW.event_seq <=> OLD.event_seq AND NEW.txn_id <=> OLD.txn_id AND NEW.op <=> OLD.op
          AND NEW.kv_key <=> OLD.kv_key AND NEW.kv_value <=> OLD.kv_value AND NEW.prev_value <=> OLD.prev_value
          AND NEW.version <=> OLD.version AND NEW.term <=> OLD.term AND NEW.epoch <=> OLD.epoch
          AND NEW.origin <=> OLD.origin AND NEW.event_time <=> OLD.event_time
          AND NEW.consumed_at <=> OLD.consumed_at) THEN
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'kv_changelog is append-only: an archived row cannot be changed';
  END IF;
END//

DELIMITER ;

-- kv_history shows the transaction beside the identity (same definition as V3 otherwise).
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
       h.txn_id,
       h.event_time,
       h.consumed_at
FROM kv_changelog h;
