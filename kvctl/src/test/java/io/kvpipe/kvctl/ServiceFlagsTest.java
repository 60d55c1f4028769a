package io.kvpipe.kvctl;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

class ServiceFlagsTest {
  @Test
  void readsEveryServicesFlagTable() {
    Map<String, Map<String, ServiceFlags.Flag>> all = ServiceFlags.all();
    assertThat(all.get("kv-node")).containsKeys("id", "group", "kafka-bootstrap", "metrics-port");
    assertThat(all.get("kv-node").get("group").env()).isEqualTo("KVPIPE_GROUPS");
    assertThat(all.get("proxy").get("meta-peers").env()).isEqualTo("KVPIPE_META_PEERS");
    assertThat(all.get("proxy").get("port").defaultValue()).isEqualTo("8080");
    assertThat(all.get("cdc-consumer").get("jdbc-url").env()).isEqualTo("KVPIPE_JDBC_URL");
    assertThat(all.get("cdc-consumer").get("topic").defaultValue()).isEqualTo("kv.changes");
    assertThat(all.get("cdc-consumer").get("kafka-bootstrap").aliases()).containsExactly("--bootstrap-servers");
    assertThat(all.get("proxy").get("tls-ca").aliases()).containsExactly("KVPIPE_PROXY_TLS_CA");
  }
}
