package io.kvpipe.proxy.http;

import io.kvpipe.proxy.ProxyMetrics;
import java.io.IOException;
import java.nio.ByteBuffer;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

/**
 * Errors Jetty itself produces before our handler runs (malformed request line, ambiguous URI, headers too large)
 * rendered in the API's JSON error shape instead of an HTML page; a refusal by a size limit is counted.
 */
public final class JsonErrorHandler extends ErrorHandler {
  private final ProxyMetrics metrics;

  public JsonErrorHandler(ProxyMetrics metrics) {
    this.metrics = metrics;
  }

  @Override
  protected void generateResponse(Request request, Response response, int code, String message, Throwable cause,
                                  Callback callback) throws IOException {
    switch (code) {
      case 413 -> metrics.rejected("body_too_large");
      case 414 -> metrics.rejected("uri_too_long");
      case 431 -> metrics.rejected("headers_too_large");
      default -> { }
    }
    byte[] body = ApiError.body(codeName(code), message == null ? HttpStatus.getMessage(code) : message);
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
    response.getHeaders().put(HttpHeader.CONTENT_LENGTH, body.length);
    response.write(true, ByteBuffer.wrap(body), callback);
  }

  static String codeName(int status) {
    return switch (status) {
      case 400 -> "MALFORMED_REQUEST";
      case 404 -> "NOT_FOUND";
      case 405 -> "METHOD_NOT_ALLOWED";
      case 413 -> "VALUE_TOO_LARGE";
      case 414 -> "URI_TOO_LONG";
      case 431 -> "HEADERS_TOO_LARGE";
      default -> status >= 500 ? "INTERNAL" : "MALFORMED_REQUEST";
    };
  }
}
