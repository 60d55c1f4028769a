package io.kvpipe.consumer;

import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.output.MigrateResult;

/** Brings the archive schema up to date from the migrations module's scripts (classpath:db/migration). */
public final class SchemaMigrator {
  public static final String LOCATION = "classpath:db/migration";

  private SchemaMigrator() {}

  /** Applies pending migrations; returns how many ran. */
  public static int migrate(DataSource dataSource) {
    MigrateResult r = Flyway.configure().dataSource(dataSource).locations(LOCATION).load().migrate();
    return r.migrationsExecuted;
  }

  /** Applies pending migrations as another account than the pool's (the schema's owner); returns how many ran. */
  public static int migrate(String jdbcUrl, String user, String password) {
    MigrateResult r = Flyway.configure().dataSource(jdbcUrl, user, password).locations(LOCATION).load().migrate();
    return r.migrationsExecuted;
  }
}
