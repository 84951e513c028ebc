package raftsimple.config;

/**
 * A configuration input is wrong: a key, an environment variable or a file. The message names the
 * input and says what is wrong with it; {@link #key()} is the name alone, for tests and tooling.
 * The launcher turns this into {@code raftsimple: config error: <message>} and exit status 2
 * (CONTRACT "Node configuration").
 */
public final class ConfigException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final String key;

  public ConfigException(String key, String message) {
    super(message);
    this.key = key;
  }

  public ConfigException(String key, String message, Throwable cause) {
    super(message, cause);
    this.key = key;
  }

  /** A problem with the config key at {@code path}, e.g. {@code peers[1].url}. */
  public static ConfigException atKey(String path, String detail) {
    return new ConfigException(path, "config key '" + path + "': " + detail);
  }

  /** A problem with the environment variable {@code name}. */
  public static ConfigException atEnv(String name, String detail) {
    return new ConfigException(name, "environment variable " + name + ": " + detail);
  }

  /** A problem with the file named by the {@code -conf} option. */
  public static ConfigException atFile(String file, String detail, Throwable cause) {
    return new ConfigException("-conf", "config file '" + file + "': " + detail, cause);
  }

  /** The key path, environment variable name, or {@code -conf} that the message is about. */
  public String key() {
    return key;
  }
}
