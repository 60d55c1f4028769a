package io.kvpipe.kvctl;

/**
 * The proxy answered with an HTTP error: status, its JSON error code and message, and whether it said the outcome is
 * unknown ({@code "outcome":"unknown"}: the change may have been made, e.g. the meta group answered a resend of a
 * command it had applied "already applied"), which the message then says too, so no one takes it for a refusal.
 */
public final class ApiException extends KvctlException {
  static final String OUTCOME_UNKNOWN_HINT = " (outcome unknown: the change may have been made; check with kvctl"
      + " topology or kvctl migrations list before repeating it)";

  private final int status;
  private final String code;
  private final String serverMessage;
  private final boolean outcomeUnknown;

  public ApiException(String request, int status, String code, String serverMessage) {
    this(request, status, code, serverMessage, false);
  }

  public ApiException(String request, int status, String code, String serverMessage, boolean outcomeUnknown) {
    super(ExitCodes.SERVER_ERROR, request + " failed: HTTP " + status + " " + code + ": " + serverMessage
        + (isMissingEndpoint(status, serverMessage) ? " (this proxy does not offer that endpoint yet)" : "")
        + (outcomeUnknown ? OUTCOME_UNKNOWN_HINT : ""));
    this.status = status;
    this.code = code;
    this.serverMessage = serverMessage;
    this.outcomeUnknown = outcomeUnknown;
  }

  /** The proxy said the request may have taken effect ({@code "outcome":"unknown"}). */
  public boolean outcomeUnknown() {
    return outcomeUnknown;
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
