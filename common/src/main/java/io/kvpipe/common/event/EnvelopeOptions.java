package io.kvpipe.common.event;

import java.util.Objects;

/**
 * How a cluster writes format 2 ({@link DebeziumEnvelope}).
 *
 * @param cluster the cluster's name: {@code source.name} and {@code source.db} of every event, and the prefix of the
 *     Connect schema names ({@code <cluster>.kv.Envelope}); a letter or underscore, then letters, digits,
 *     underscores (1..63), so the schema names stay valid Avro names too
 * @param schemas whether key and value carry Kafka Connect's JSON schema ({@code {"schema":…,"payload":…}}), as Connect's
 *     JsonConverter with {@code schemas.enable=true} expects; without them records are smaller, and readers that
 *     bring their own schema (or none) read the payload alone
 */
public record EnvelopeOptions(String cluster, boolean schemas) {
  public static final String DEFAULT_CLUSTER = "kvpipe";
  public static final boolean DEFAULT_SCHEMAS = false;
  public static final EnvelopeOptions DEFAULT = new EnvelopeOptions(DEFAULT_CLUSTER, DEFAULT_SCHEMAS);

  public EnvelopeOptions {
    Objects.requireNonNull(cluster, "cluster");
    if (!cluster.matches("[A-Za-z_][A-Za-z0-9_]{0,62}")) {
      throw new IllegalArgumentException("cluster name '" + cluster + "' must be a letter or '_' followed by letters,"
          + " digits or '_' (1..63 characters)");
    }
  }
}
