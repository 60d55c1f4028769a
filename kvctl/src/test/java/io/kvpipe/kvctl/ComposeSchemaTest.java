package io.kvpipe.kvctl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;

/**
 * The compose files against the Compose Specification's JSON schema (the compose-spec project's compose-spec.json,
 * kept outside the repository: KVPIPE_COMPOSE_SCHEMA, else ../shared/compose-spec.json beside the checkout), so a key
 * that Compose would reject fails here and not first on someone's engine.
 */
class ComposeSchemaTest {

  @ParameterizedTest
  @ValueSource(strings = {"docker-compose.yml", "docker-compose.local.yml"})
  void followsTheComposeSpecification(String file) throws IOException {
    Path schemaFile = requireSchema(schemaFile());
    JsonSchema schema = load(schemaFile);
    LoaderOptions options = new LoaderOptions();
    options.setAllowDuplicateKeys(false);
    Object yaml = new Yaml(options).load(Files.readString(RepoFiles.root().resolve(file)));
    JsonNode compose = new ObjectMapper().valueToTree(yaml);

    Set<ValidationMessage> errors = schema.validate(compose);

    assertThat(errors).as(file + " against " + schemaFile).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(strings = {"{\"services\": {\"a\": {\"image\": \"x\", \"restart\": [\"no\"]}}}",
      "{\"services\": {\"a\": {\"image\": \"x\", \"healthchek\": {}}}}"})
  void theSchemaRejectsWhatComposeWouldReject(String badCompose) throws IOException {
    Path schemaFile = requireSchema(schemaFile());
    assertThat(load(schemaFile).validate(new ObjectMapper().readTree(badCompose))).isNotEmpty();
  }

  /** Loaded from its location: the schema's relative $id ("compose_spec.json") needs a base to resolve against. */
  private static JsonSchema load(Path schemaFile) {
    return JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V7)
        .getSchema(SchemaLocation.of(schemaFile.toUri().toString()));
  }

  /**
   * The schema file, or a failure: CI always has ../shared beside the checkout, so a missing schema is a broken set-up
   * to see, not a reason to skip the check (it was skipped, so the check could silently never run).
   */
  static Path requireSchema(Path schemaFile) {
    if (!Files.isRegularFile(schemaFile)) {
      throw new AssertionError("no Compose Specification schema at " + schemaFile + ": put the compose-spec"
          + " project's compose-spec.json at ../shared/compose-spec.json beside the checkout, or name it in"
          + " KVPIPE_COMPOSE_SCHEMA");
    }
    return schemaFile;
  }

  @org.junit.jupiter.api.Test
  void aMissingSchemaFailsTheBuildInsteadOfSkipping(@org.junit.jupiter.api.io.TempDir Path dir) {
    assertThatThrownBy(() -> requireSchema(dir.resolve("compose-spec.json"))).isInstanceOf(AssertionError.class)
        .hasMessageContaining("no Compose Specification schema at");
  }

  private static Path schemaFile() {
    String env = System.getenv("KVPIPE_COMPOSE_SCHEMA");
    return env != null ? Path.of(env) : RepoFiles.root().resolveSibling("shared").resolve("compose-spec.json");
  }
}
