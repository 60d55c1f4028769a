package io.kvpipe.proxy.resp;

/** One connection's state. Touched only by the connection's reader thread, which runs the commands in order. */
final class RespSession {
  final long id;
  boolean authenticated;
  /** 2 or 3, as negotiated by HELLO. */
  int protocol = 2;
  String name;

  RespSession(long id) {
    this.id = id;
  }
}
