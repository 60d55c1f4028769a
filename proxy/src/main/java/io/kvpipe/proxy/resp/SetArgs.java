package io.kvpipe.proxy.resp;

import io.kvpipe.common.Keys;
import java.util.List;

/**
 * SET's arguments, parsed and checked once for both places that run it: at once ({@link RespDataCommands}) and
 * queued inside MULTI ({@link TxnOps}). {@code SET key value [NX | XX] [GET] [EX s | PX ms | EXAT t | PXAT t | KEEPTTL]}.
 */
record SetArgs(byte[] key, byte[] value, boolean nx, boolean xx, boolean get, Expiry expiry) {

  /** @param nowMs the proxy's clock, for EXAT/PXAT: read only once the options are known to be well formed */
  static SetArgs parse(List<byte[]> args, int maxValueBytes, long nowMs) {
    RespCommands.arity(args, 3, -1, "SET");
    byte[] key = RespDataCommands.key(args.get(1));
    byte[] value = args.get(2);
    boolean nx = false;
    boolean xx = false;
    boolean get = false;
    boolean keepTtl = false;
    String expireOption = null;
    byte[] expireValue = null;
    for (int i = 3; i < args.size(); i++) {
      String opt = RespCommands.upper(args.get(i));
      switch (opt) {
        case "NX" -> nx = true;
        case "XX" -> xx = true;
        case "GET" -> get = true;
        case "KEEPTTL" -> {
          if (expireOption != null) {
            throw RespException.syntax();
          }
          keepTtl = true;
        }
        case "EX", "PX", "EXAT", "PXAT" -> {
          if (keepTtl || expireOption != null || i + 1 >= args.size()) {
            throw RespException.syntax();
          }
          expireOption = opt;
          expireValue = args.get(++i);
        }
        default -> throw RespException.syntax();
      }
    }
    if (nx && xx) {
      throw RespException.syntax();
    }
    Expiry expiry = keepTtl ? Expiry.KEEP : expireOption == null ? Expiry.NONE
        : Expiry.ofSetOption(expireOption, expireValue, "set", nowMs);
    Keys.validateValue(value, maxValueBytes);
    return new SetArgs(key, value, nx, xx, get, expiry);
  }
}
