package io.kvpipe.proxy.kv;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvpipe.common.error.ErrorCode;
import io.kvpipe.common.error.KvException;
import io.kvpipe.common.wire.Command;
import io.kvpipe.common.wire.Command.Compare.Target;
import io.kvpipe.common.wire.Query;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TxnRequestTest {
  private static final int MAX_VALUE = 100;

  private static Command.Txn parse(String json) {
    return TxnRequest.parse(json.replace('\'', '"').getBytes(StandardCharsets.UTF_8), MAX_VALUE);
  }

  private static String b64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void parsesEveryCompareAndOp() {
    Command.Txn t = parse("{'compare':[{'key':'a','target':'value','value':'" + b64("1") + "'},"
        + "{'key':'b','target':'version','version':42},{'key':'c','target':'exists'},{'key':'d','target':'missing'}],"
        + "'success':[{'op':'put','key':'a','value':'" + b64("2") + "'},{'op':'get','key':'a'},"
        + "{'op':'delete','key':'b'}],"
        + "'failure':[{'op':'get','key':'a'}]}");
    assertThat(t.compares()).extracting(Command.Compare::target)
        .containsExactly(Target.VALUE, Target.VERSION, Target.EXISTS, Target.MISSING);
    assertThat(t.compares().get(0).value()).isEqualTo("1".getBytes(StandardCharsets.UTF_8));
    assertThat(t.compares().get(1).version()).isEqualTo(42);
    assertThat(t.success()).hasSize(3);
    assertThat(((Command.Put) t.success().get(0)).value()).isEqualTo("2".getBytes(StandardCharsets.UTF_8));
    assertThat(((Command.Put) t.success().get(0)).expectedVersion()).isEqualTo(-1);
    assertThat(t.success().get(1)).isInstanceOf(Query.Get.class);
    assertThat(t.success().get(2)).isInstanceOf(Command.Delete.class);
    assertThat(t.failure()).hasSize(1);
    assertThat(t.keys()).extracting(k -> new String(k, StandardCharsets.UTF_8))
        .containsExactly("a", "b", "c", "d", "a", "a", "b", "a");
  }

  @Test
  void compareAndFailureAreOptional() {
    Command.Txn t = parse("{'success':[{'op':'put','key':'k','value':''}]}");
    assertThat(t.compares()).isEmpty();
    assertThat(t.failure()).isEmpty();
    assertThat(((Command.Put) t.success().get(0)).value()).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "not json",
      "[]",
      "{}",
      "{'success':[]}",
      "{'success':[{'op':'put','key':'k','value':'x'}]} trailing",
      "{'compares':[{'key':'a','target':'exists'}],'success':[{'op':'get','key':'a'}]}",
      "{'success':[{'op':'get','key':'a'}],'success':[{'op':'get','key':'b'}]}",
      "{'success':{'op':'get','key':'a'}}",
      "{'success':[{'op':'get'}]}",
      "{'success':[{'op':'get','key':''}]}",
      "{'success':[{'op':'get','key':7}]}",
      "{'success':[{'op':'incr','key':'a'}]}",
      "{'success':[{'op':'put','key':'a'}]}",
      "{'success':[{'op':'put','key':'a','value':'%%%'}]}",
      "{'success':[{'op':'put','key':'a','value':'','ifMatch':3}]}",
      "{'success':[{'op':'delete','key':'a','value':''}]}",
      "{'success':[{'op':'put','key':'a','value':''},{'op':'delete','key':'a'}]}",
      "{'compare':[{'key':'a','target':'bigger'}],'success':[{'op':'get','key':'a'}]}",
      "{'compare':[{'key':'a','target':'version','version':-1}],'success':[{'op':'get','key':'a'}]}",
      "{'compare':[{'key':'a','target':'version','version':'7'}],'success':[{'op':'get','key':'a'}]}",
      "{'compare':[{'key':'a','target':'version','version':1.5}],'success':[{'op':'get','key':'a'}]}",
      "{'compare':[{'key':'a','target':'exists','value':''}],'success':[{'op':'get','key':'a'}]}",
      "{'compare':[{'key':'a','target':'value'}],'success':[{'op':'get','key':'a'}]}",
      "{'compare':['a'],'success':[{'op':'get','key':'a'}]}"})
  void malformedRequestsAreRefusedWithAReason(String json) {
    assertThatThrownBy(() -> parse(json)).isInstanceOfSatisfying(KvException.class, e -> {
      assertThat(e.code()).isIn(ErrorCode.MALFORMED_REQUEST, ErrorCode.INVALID_KEY);
      assertThat(e.getMessage()).isNotBlank();
    });
  }

  @Test
  void limitsAreEnforced() {
    StringBuilder many = new StringBuilder("{'success':[");
    for (int i = 0; i <= Command.Txn.MAX_OPS; i++) {
      many.append(i == 0 ? "" : ",").append("{'op':'get','key':'k").append(i).append("'}");
    }
    assertThatThrownBy(() -> parse(many + "]}")).isInstanceOfSatisfying(KvException.class,
        e -> assertThat(e.getMessage()).contains("at most " + Command.Txn.MAX_OPS));
    assertThatThrownBy(() -> parse("{'success':[{'op':'put','key':'a','value':'" + b64("x".repeat(MAX_VALUE + 1))
        + "'}]}")).isInstanceOfSatisfying(KvException.class,
            e -> assertThat(e.code()).isEqualTo(ErrorCode.VALUE_TOO_LARGE));
    assertThatThrownBy(() -> parse("{'success':[{'op':'get','key':'" + "k".repeat(513) + "'}]}"))
        .isInstanceOfSatisfying(KvException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_KEY));
  }

  @Test
  void aKeyMayBeWrittenInBothBranchesAndReadAfterItsWrite() {
    Command.Txn t = parse("{'success':[{'op':'put','key':'a','value':''},{'op':'get','key':'a'}],"
        + "'failure':[{'op':'delete','key':'a'}]}");
    assertThat(t.success()).hasSize(2);
  }
}
