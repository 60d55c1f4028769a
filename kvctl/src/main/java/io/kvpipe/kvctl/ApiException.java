package io.kvpipe.kvctl;

/** The proxy answered with an HTTP error: status, its JSON error code and message. */
public final class ApiException extends KvctlException {
  private final int status;
  private final String code;
  private final String serverMessage;

  public ApiException(String request, int status, String code, String serverMessage) {
    super(ExitCodes.SERVER_ERROR, request + " failed: HTTP " + status + " " + code + ": " + serverMessage
        + (isMissingEndpoint(status, serverMessage) ? " (this proxy does not offer that endpoint yet)" : ""));
    this.status = status;
    this.code = code;
    this.serverMessage = serverMessage;
  }

  private static boolean isMissingEndpoint(int status, String message) {
    return status == 404 && "no such endpoint".equals(message);
  }

  /** The proxy has no route for the request (as opposed to a missing key, group or migration). */
  public boolean missingEndpoint() {
    return isMissingEndpoint(status, serverMessage);
  }

  public int status() {
    return status;
  }

  public String code() {
    return code;
  }
}
