package io.kvpipe.testsupport.mysql;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * JUnit 5: {@code @ExtendWith(MySqlExtension.class)} gives the test class its own fresh {@link MySqlDatabase} on the
 * JVM's shared server (see {@link MySqlServers}), injectable as a parameter of {@code @BeforeAll}, constructors and
 * test methods, and dropped after the class. The server itself lives until the JVM exits.
 */
public final class MySqlExtension implements BeforeAllCallback, AfterAllCallback, ParameterResolver {
  private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(MySqlExtension.class);

  @Override
  public void beforeAll(ExtensionContext context) {
    String hint = context.getRequiredTestClass().getSimpleName();
    context.getStore(NS).put(MySqlDatabase.class, MySqlDatabase.create(MySqlServers.shared(), hint));
  }

  @Override
  public void afterAll(ExtensionContext context) {
    MySqlDatabase db = context.getStore(NS).remove(MySqlDatabase.class, MySqlDatabase.class);
    if (db != null) {
      if (db.server().restartable()) {
        db.server().start(); // a test may have left the server stopped; dropping needs it up
      }
      db.close();
    }
  }

  @Override
  public boolean supportsParameter(ParameterContext p, ExtensionContext e) {
    Class<?> type = p.getParameter().getType();
    return type == MySqlDatabase.class || type == MySqlServer.class;
  }

  @Override
  public Object resolveParameter(ParameterContext p, ExtensionContext e) {
    MySqlDatabase db = e.getStore(NS).get(MySqlDatabase.class, MySqlDatabase.class);
    if (db == null) {
      throw new IllegalStateException("no database: MySqlExtension's beforeAll has not run for " + e.getUniqueId());
    }
    return p.getParameter().getType() == MySqlServer.class ? db.server() : db;
  }
}
