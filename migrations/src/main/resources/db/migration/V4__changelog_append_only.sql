-- kv_changelog is append-only: once archived, an event's row can be neither changed nor deleted, through any account
-- (the writer's, an auditor's, an operator's). Triggers refuse it with SQLSTATE 45000; only an account allowed to drop
-- triggers or the table (the schema's owner, never the consumer's or an auditor's: docs/security.md) could get round
-- them. Runs unchanged on MySQL 8.x and MariaDB 10.11 (with binary logging on, MySQL lets an account without SUPER
-- create triggers only when log_bin_trust_function_creators = 1).
--
-- The consumer's duplicate-tolerant insert (INSERT ... ON DUPLICATE KEY UPDATE id = id) fires the UPDATE trigger with
-- an unchanged row: that is let through, any real change is not. A migration that adds a column to kv_changelog must
-- add it to the comparison below.

DELIMITER //

CREATE TRIGGER kv_changelog_no_update BEFORE UPDATE ON kv_changelog FOR EACH ROW
BEGIN
  IF NOT (NEW.id <=> OLD.id AND NEW.group_id <=> OLD.group_id AND NEW.log_index <=> OLD.log_index
          AND NEW.event_seq <=> OLD.event_seq AND NEW.op <=> OLD.op AND NEW.kv_key <=> OLD.kv_key
          AND NEW.kv_value <=> OLD.kv_value AND NEW.prev_value <=> OLD.prev_value AND NEW.version <=> OLD.version
          AND NEW.term <=> OLD.term AND NEW.epoch <=> OLD.epoch AND NEW.origin <=> OLD.origin
          AND NEW.event_time <=> OLD.event_time AND NEW.consumed_at <=> OLD.consumed_at) THEN
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'kv_changelog is append-only: an archived row cannot be changed';
  END IF;
END//

CREATE TRIGGER kv_changelog_no_delete BEFORE DELETE ON kv_changelog FOR EACH ROW
BEGIN
  SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'kv_changelog is append-only: an archived row cannot be deleted';
END//

DELIMITER ;
