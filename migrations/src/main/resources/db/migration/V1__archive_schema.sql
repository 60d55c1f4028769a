-- kvpipe archive schema. Runs unchanged on MySQL 8.x and MariaDB 10.11.
--
-- Conventions (see migrations/README.md):
--  * Keys are VARBINARY(512): compared byte for byte, no collation, no trailing-space padding ('Key' <> 'key' <> 'key ').
--  * Values are LONGBLOB (the hard value cap is 16 MiB, one byte more than MEDIUMBLOB holds).
--  * Times are DATETIME(3) in UTC. event_time is the shard leader's commit time (ts_ms of the event); ordering of the
--    changes of one key is always by version, never by time.
--  * op is Debezium's code: 'c' create, 'u' update, 'd' delete, 'r' snapshot read.
--  * origin: 'client' (a client write), 'migration' (a key moved between shard groups: history only, never changes the
--    logical state), 'snapshot' (a snapshot read of the live state).

-- One row per change event; (group_id, log_index) is the event's identity, so a republished or replayed event is
-- stored once.
CREATE TABLE kv_changelog (
  id          BIGINT       NOT NULL AUTO_INCREMENT,
  group_id    VARCHAR(63)  CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  log_index   BIGINT       NOT NULL,
  op          CHAR(1)      CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  kv_key      VARBINARY(512) NOT NULL,
  kv_value    LONGBLOB     NULL,
  prev_value  LONGBLOB     NULL,
  version     BIGINT       NOT NULL,
  term        BIGINT       NOT NULL,
  epoch       BIGINT       NOT NULL,
  origin      VARCHAR(9)   CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  event_time  DATETIME(3)  NOT NULL,
  consumed_at DATETIME(3)  NOT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY uk_changelog_identity (group_id, log_index),
  KEY ix_changelog_key_version (kv_key, version),
  KEY ix_changelog_event_time (event_time),
  CONSTRAINT ck_changelog_op CHECK (op IN ('c', 'u', 'd', 'r')),
  CONSTRAINT ck_changelog_origin CHECK (origin IN ('client', 'migration', 'snapshot')),
  CONSTRAINT ck_changelog_delete CHECK ((op = 'd') = (kv_value IS NULL))
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;

-- One row per key ever written: its newest state by version. A delete leaves a tombstone (deleted = 1, kv_value NULL)
-- so an older, late event can never resurrect the key. Migration events never touch this table.
CREATE TABLE kv_current (
  kv_key      VARBINARY(512) NOT NULL,
  kv_value    LONGBLOB     NULL,
  deleted     TINYINT(1)   NOT NULL,
  group_id    VARCHAR(63)  CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  log_index   BIGINT       NOT NULL,
  event_time  DATETIME(3)  NOT NULL,
  updated_at  DATETIME(3)  NOT NULL,
  version     BIGINT       NOT NULL,
  PRIMARY KEY (kv_key),
  CONSTRAINT ck_current_deleted CHECK ((deleted = 1) = (kv_value IS NULL))
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;

-- The next Kafka offset to consume per consumer group and partition, written in the same transaction as the rows it
-- covers: the consumer seeks here on partition assignment, so a crash at any instant loses and duplicates nothing.
CREATE TABLE kv_consumer_offsets (
  consumer_group  VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  topic           VARCHAR(249) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  kafka_partition INT          NOT NULL,
  next_offset     BIGINT       NOT NULL,
  updated_at      DATETIME(3)  NOT NULL,
  PRIMARY KEY (consumer_group, topic, kafka_partition)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;

-- Records that could not be archived (undecodable, inconsistent, oversized), with the reason and the original bytes.
-- (topic, partition, offset) is unique so a replayed batch does not duplicate them.
CREATE TABLE kv_dead_letter (
  id               BIGINT       NOT NULL AUTO_INCREMENT,
  topic            VARCHAR(249) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  kafka_partition  INT          NOT NULL,
  kafka_offset     BIGINT       NOT NULL,
  record_key       BLOB         NULL,
  record_value     LONGBLOB     NULL,
  reason           VARCHAR(1000) CHARACTER SET utf8mb4 NOT NULL,
  record_time      DATETIME(3)  NULL,
  dead_lettered_at DATETIME(3)  NOT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY uk_dead_letter_position (topic, kafka_partition, kafka_offset),
  KEY ix_dead_letter_time (dead_lettered_at)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;
