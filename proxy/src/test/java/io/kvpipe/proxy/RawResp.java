package io.kvpipe.proxy;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A bare RESP connection for the ITs: sends exactly the bytes given (malformed ones included) and reads replies as
 * text ({@code +OK}, {@code -ERR ...}, {@code :3}, {@code $hello}, {@code $nil}, {@code [a, b]}), or EOF as null.
 */
final class RawResp implements AutoCloseable {
  private final Socket socket;
  private final InputStream in;
  private final OutputStream out;

  RawResp(int port) throws IOException {
    socket = new Socket("127.0.0.1", port);
    socket.setSoTimeout(30_000);
    in = new BufferedInputStream(socket.getInputStream());
    out = socket.getOutputStream();
  }

  RawResp send(String raw) throws IOException {
    return send(raw.getBytes(StandardCharsets.UTF_8));
  }

  RawResp send(byte[] raw) throws IOException {
    out.write(raw);
    out.flush();
    return this;
  }

  /** Sends one command as a RESP array of bulk strings. */
  RawResp command(String... args) throws IOException {
    StringBuilder b = new StringBuilder("*" + args.length + "\r\n");
    for (String a : args) {
      b.append('$').append(a.getBytes(StandardCharsets.UTF_8).length).append("\r\n").append(a).append("\r\n");
    }
    return send(b.toString());
  }

  /** The next reply as text; null at EOF (the server closed the connection). */
  String reply() throws IOException {
    int type = in.read();
    if (type < 0) {
      return null;
    }
    String line = line();
    return switch (type) {
      case '+', '-', ':' -> (char) type + line;
      case '_' -> "$nil";
      case '$' -> {
        int n = Integer.parseInt(line);
        if (n < 0) {
          yield "$nil";
        }
        byte[] data = in.readNBytes(n + 2);
        yield "$" + new String(data, 0, n, StandardCharsets.UTF_8);
      }
      case '*', '%' -> {
        int n = Integer.parseInt(line) * (type == '%' ? 2 : 1);
        if (n < 0) {
          yield "*nil";
        }
        List<String> items = new ArrayList<>();
        for (int i = 0; i < n; i++) {
          items.add(reply());
        }
        yield items.toString();
      }
      default -> throw new IOException("unexpected reply type '" + (char) type + "' " + line);
    };
  }

  private String line() throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    int c;
    while ((c = in.read()) != '\n') {
      if (c < 0) {
        throw new IOException("EOF inside a reply line");
      }
      b.write(c);
    }
    byte[] bytes = b.toByteArray();
    return new String(bytes, 0, bytes.length - 1, StandardCharsets.UTF_8);
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
