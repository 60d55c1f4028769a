package io.kvpipe.proxy.http;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The route table: exact paths and path prefixes (for {@code /v1/kv/{key}}), each with its access level and one action
 * per HTTP method. Built once at start, read concurrently afterwards.
 */
public final class Routes {
  /** Handles one request; completes the exchange now or later, from any thread. */
  @FunctionalInterface
  public interface Action {
    void handle(Exchange ex) throws Exception;
  }

  /** A route: metric name, access level, and actions by method. */
  public record Route(String name, Access access, Map<String, Action> methods) {
    public String allowHeader() {
      return String.join(", ", methods.keySet());
    }
  }

  /** A matched route and the raw path after its prefix (empty for exact routes). */
  public record Match(Route route, String tail) {}

  private final Map<String, Route> exact;
  private final List<Map.Entry<String, Route>> prefixes;

  private Routes(Map<String, Route> exact, List<Map.Entry<String, Route>> prefixes) {
    this.exact = Map.copyOf(exact);
    this.prefixes = List.copyOf(prefixes);
  }

  public static Builder builder() {
    return new Builder();
  }

  /** The route for a raw path, or null. */
  public Match match(String path) {
    Route r = exact.get(path);
    if (r != null) {
      return new Match(r, "");
    }
    for (Map.Entry<String, Route> p : prefixes) {
      if (path.startsWith(p.getKey())) {
        return new Match(p.getValue(), path.substring(p.getKey().length()));
      }
    }
    return null;
  }

  public static final class Builder {
    private final Map<String, Route> exact = new HashMap<>();
    private final List<Map.Entry<String, Route>> prefixes = new ArrayList<>();

    /** Adds an exact path; {@code actions} alternates method names and actions. */
    public Builder exact(String path, String name, Access access, Object... actions) {
      exact.put(path, new Route(name, access, methods(actions)));
      return this;
    }

    /** Adds a prefix route (first added, first matched). */
    public Builder prefix(String prefix, String name, Access access, Object... actions) {
      prefixes.add(Map.entry(prefix, new Route(name, access, methods(actions))));
      return this;
    }

    private static Map<String, Action> methods(Object[] actions) {
      Map<String, Action> m = new LinkedHashMap<>();
      for (int i = 0; i + 1 < actions.length; i += 2) {
        m.put((String) actions[i], (Action) actions[i + 1]);
      }
      return m;
    }

    public Routes build() {
      return new Routes(exact, prefixes);
    }
  }
}
