package raftsimple.config;

import io.vertx.config.ConfigRetriever;
import io.vertx.config.ConfigRetrieverOptions;
import io.vertx.config.ConfigStoreOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Reads the node config with Vert.x Config from explicit stores only, once, then validates it with
 * {@link ConfigParser}:
 * <ol>
 *   <li>a {@code json} store holding the {@code -conf} content, wrapped under one key
 *       ({@value #CONF}), and
 *   <li>an {@code env} store restricted by {@code keys} to the {@code RAFTSIMPLE_*} names of
 *       {@link ConfigParser#environmentVariables()}, with {@code raw-data} so values stay text.
 * </ol>
 * No default stores and no scanning: {@code ConfigRetriever.create(vertx)} would merge every
 * environment variable and rescan every 5 s (STYLE "three facts"). The env store merges its
 * variables into the same top-level namespace as the file's keys; wrapping the file under
 * {@value #CONF} keeps the two apart, so a variable can never masquerade as a file key (or the
 * reverse) and the parser can name the variable when its value is bad.
 */
public final class ConfigLoader {
  private static final String CONF = "conf";

  private ConfigLoader() {}

  /** Reads {@code conf} and the environment once and parses them; fails with ConfigException. */
  public static Future<NodeConfig> load(Vertx vertx, JsonObject conf) {
    ConfigRetriever retriever = ConfigRetriever.create(vertx, options(conf));
    return retriever
        .getConfig()
        .eventually(retriever::close)
        .map(merged -> ConfigParser.parse(merged.getJsonObject(CONF), environment(merged)));
  }

  private static ConfigRetrieverOptions options(JsonObject conf) {
    ConfigStoreOptions file = new ConfigStoreOptions()
        .setType("json")
        .setConfig(new JsonObject().put(CONF, conf));
    ConfigStoreOptions env = new ConfigStoreOptions()
        .setType("env")
        .setConfig(new JsonObject()
            .put("keys", new JsonArray(ConfigParser.environmentVariables()))
            .put("raw-data", true));
    return new ConfigRetrieverOptions()
        .setIncludeDefaultStores(false)
        .setScanPeriod(-1)
        .addStore(file)
        .addStore(env);
  }

  /** The RAFTSIMPLE_* entries of the merged config, as text. */
  private static Map<String, String> environment(JsonObject merged) {
    Map<String, String> env = new TreeMap<>();
    for (String name : ConfigParser.environmentVariables()) {
      Object value = merged.getValue(name);
      if (value != null) {
        env.put(name, value.toString());
      }
    }
    return env;
  }

  /**
   * Loads on a short-lived Vert.x instance, for the launcher, which must know the config before it
   * builds the node's own Vert.x (metrics, clustering). Blocks up to {@code timeout}.
   */
  public static NodeConfig loadBlocking(JsonObject conf, Duration timeout) {
    Vertx vertx = Vertx.vertx();
    try {
      return load(vertx, conf).toCompletionStage().toCompletableFuture()
          .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof ConfigException) {
        throw (ConfigException) e.getCause();
      }
      throw new IllegalStateException("reading the configuration failed: " + e.getCause(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while reading the configuration", e);
    } catch (TimeoutException e) {
      throw new IllegalStateException("reading the configuration took over " + timeout, e);
    } finally {
      vertx.close();
    }
  }

  /**
   * The value of {@code -conf}: inline JSON when it starts with <code>{</code>, otherwise a file
   * path (relative to the working directory). Unlike VertxApplication, which silently falls back
   * to an empty config when the file is missing or is not JSON, every failure here names the file.
   */
  public static JsonObject readConfArgument(String value) {
    if (value.strip().startsWith("{")) {
      try {
        return new JsonObject(value);
      } catch (DecodeException e) {
        throw new ConfigException("-conf", "inline -conf JSON is not valid: " + jsonError(e), e);
      }
    }
    Path file;
    try {
      file = Path.of(value).toAbsolutePath();
    } catch (InvalidPathException e) {
      throw ConfigException.atFile(value, "not a valid path: " + e.getMessage(), e);
    }
    return parseFile(file, read(file));
  }

  private static byte[] read(Path file) {
    try {
      if (Files.isDirectory(file)) {
        throw ConfigException.atFile(file.toString(), "is a directory, not a JSON file", null);
      }
      return Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      throw ConfigException.atFile(file.toString(), "does not exist", e);
    } catch (AccessDeniedException e) {
      throw ConfigException.atFile(file.toString(), "is not readable (permission denied)", e);
    } catch (IOException e) {
      throw ConfigException.atFile(file.toString(), "cannot be read: " + e, e);
    }
  }

  private static JsonObject parseFile(Path file, byte[] bytes) {
    Object parsed;
    try {
      parsed = Json.decodeValue(Buffer.buffer(bytes));
    } catch (DecodeException e) {
      throw ConfigException.atFile(file.toString(), "is not valid JSON: " + jsonError(e), e);
    }
    if (!(parsed instanceof JsonObject)) {
      throw ConfigException.atFile(file.toString(), "must hold a JSON object {...}", null);
    }
    return (JsonObject) parsed;
  }

  /** Jackson's message on one line, without its "source redacted" noise. */
  private static String jsonError(DecodeException e) {
    return String.valueOf(e.getMessage())
        .replace("Failed to decode:", "")
        .replaceAll("\\s*\\n\\s*", " ")
        .replaceAll("\\[Source: [^;]*; ", "[")
        .trim();
  }
}
