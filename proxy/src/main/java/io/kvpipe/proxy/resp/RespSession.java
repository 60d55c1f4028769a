package io.kvpipe.proxy.resp;

/** One connection's state. Touched only by the connection's reader thread, which runs the commands in order. */
final class RespSession {
  final long id;
  boolean authenticated;
  /** 2 or 3, as negotiated by HELLO. */
  int protocol = 2;
  String name;
  /** The commands queued since MULTI; null outside MULTI. */
  TxnQueue multi;
  /** The keys WATCHed since the last EXEC, DISCARD or UNWATCH, in order. */
  final java.util.List<TxnQueue.Watch> watches = new java.util.ArrayList<>();

  RespSession(long id) {
    this.id = id;
  }
}
