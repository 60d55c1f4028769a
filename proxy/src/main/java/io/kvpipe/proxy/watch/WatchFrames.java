package io.kvpipe.proxy.watch;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import io.kvpipe.common.event.ChangeEvent;
import io.kvpipe.common.event.Op;
import io.kvpipe.common.event.Origin;
import io.kvpipe.proxy.http.ApiError;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * The SSE frames of a watch stream. {@code id:} is always the position token just after what the frame reports, so
 * whatever frame a client saw last, resuming from its id neither repeats nor skips a change.
 *
 * <pre>
 * event: ready      data: {"position":"…"}                       (first frame: where the stream starts)
 * event: change     data: {"key":"k","op":"update","value":"base64"|null,"version":N}
 *                   (a delete because the key's TTL ran out also has "expired":true, docs/ttl.md)
 * event: progress   data: {"position":"…"}                       (idle stream: the position moved past other keys)
 * event: error      data: {"error":"WATCHER_TOO_SLOW","message":"…"}  (last frame before the server closes)
 * </pre>
 */
final class WatchFrames {
  private WatchFrames() {}

  /**
   * A change a watcher should see: a client write (create, update, delete) or an expiry (a delete); migration copies
   * and snapshots are not.
   */
  static boolean isChange(ChangeEvent e) {
    return (e.origin() == Origin.CLIENT || e.origin() == Origin.EXPIRY) && e.op() != Op.READ;
  }

  static Frame change(ChangeEvent e, String token) {
    StringBuilder sb = new StringBuilder(96 + e.key().length() + (e.after() == null ? 0 : e.after().length * 4 / 3));
    sb.append("id: ").append(token).append("\nevent: change\ndata: {\"key\":");
    appendJson(sb, e.key());
    sb.append(",\"op\":\"").append(switch (e.op()) {
      case CREATE -> "create";
      case UPDATE -> "update";
      case DELETE -> "delete";
      case READ -> throw new IllegalArgumentException("a snapshot read is not a change");
    }).append("\",\"value\":");
    if (e.after() == null) {
      sb.append("null");
    } else {
      sb.append('"').append(Base64.getEncoder().encodeToString(e.after())).append('"');
    }
    sb.append(",\"version\":").append(e.version());
    if (e.origin() == Origin.EXPIRY) {
      sb.append(",\"expired\":true");
    }
    sb.append("}\n\n");
    return new Frame(sb.toString().getBytes(StandardCharsets.UTF_8), true);
  }

  static Frame ready(String token) {
    return position("ready", token);
  }

  static Frame progress(String token) {
    return position("progress", token);
  }

  private static Frame position(String event, String token) {
    return new Frame(("id: " + token + "\nevent: " + event + "\ndata: {\"position\":\"" + token + "\"}\n\n")
        .getBytes(StandardCharsets.UTF_8), false);
  }

  static byte[] error(String code, String message) {
    return ("event: error\ndata: " + new String(ApiError.body(code, message), StandardCharsets.UTF_8) + "\n\n")
        .getBytes(StandardCharsets.UTF_8);
  }

  static final byte[] KEEP_ALIVE = ": keep-alive\n\n".getBytes(StandardCharsets.US_ASCII);

  private static void appendJson(StringBuilder sb, String s) {
    sb.append('"').append(JsonStringEncoder.getInstance().quoteAsString(s)).append('"');
  }

  /** One frame's bytes; {@code change} tells a change from a position frame (only changes count as events sent). */
  record Frame(byte[] bytes, boolean change) {}
}
