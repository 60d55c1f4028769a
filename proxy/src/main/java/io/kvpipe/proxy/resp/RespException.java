package io.kvpipe.proxy.resp;

/** A refusal whose reply text is decided here ({@code ERR syntax error}, {@code WRONGPASS ...}): no stack trace. */
final class RespException extends RuntimeException {
  RespException(String replyText) {
    super(replyText, null, false, false);
  }

  static RespException err(String message) {
    return new RespException("ERR " + message);
  }

  static RespException arity(String command) {
    return err("wrong number of arguments for '" + command.toLowerCase(java.util.Locale.ROOT) + "' command");
  }

  static RespException syntax() {
    return err("syntax error");
  }
}
