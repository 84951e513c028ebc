package raftsimple.app;

import java.util.Locale;
import java.util.Optional;
import raftsimple.config.ConfigException;

/**
 * Finds the {@code -conf} value in the command line, in the forms the launcher accepts
 * ({@code -conf X}, {@code --conf X}, {@code -conf=X}; option names are case-insensitive). Main
 * reads it itself because VertxApplication, given a missing file or one that is not JSON, logs a
 * warning and starts with an empty config, i.e. the defaults.
 */
final class ConfArgument {
  private ConfArgument() {}

  static Optional<String> find(String[] args) {
    String found = null;
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      String lower = arg.toLowerCase(Locale.ROOT);
      if (lower.equals("-conf") || lower.equals("--conf")) {
        if (i + 1 >= args.length) {
          throw new ConfigException("-conf", arg + " needs a value: a JSON file or inline JSON");
        }
        found = args[++i];
      } else if (lower.startsWith("-conf=") || lower.startsWith("--conf=")) {
        found = arg.substring(arg.indexOf('=') + 1);
      }
    }
    return Optional.ofNullable(found);
  }
}
