package raftsimple.cli;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The nodes the CLI may talk to: {@code --endpoints}, else the environment variable {@value #ENV},
 * else {@value #DEFAULT}; comma-separated {@code http(s)://host:port} URLs, tried in order.
 */
final class Endpoints {
  static final String ENV = "RAFTSIMPLE_ENDPOINTS";
  static final String DEFAULT = "https://127.0.0.1:6969";

  private Endpoints() {}

  static List<URI> resolve(String option, Map<String, String> env) {
    String source = option != null ? "--endpoints" : env.get(ENV) != null ? ENV : null;
    String text = option != null ? option : env.getOrDefault(ENV, DEFAULT);
    return parse(text, source == null ? "the default endpoint" : source);
  }

  /** Parses a comma-separated list; {@code source} names it in errors (exit 2). */
  static List<URI> parse(String text, String source) {
    List<URI> out = new ArrayList<>();
    for (String part : text.split(",")) {
      String s = part.trim();
      if (s.isEmpty()) {
        continue;
      }
      URI u;
      try {
        u = URI.create(s.replaceAll("/+$", ""));
      } catch (IllegalArgumentException e) {
        throw CtlException.usage(source + ": '" + s + "' is not a URL");
      }
      boolean ok = ("http".equals(u.getScheme()) || "https".equals(u.getScheme()))
          && u.getHost() != null && (u.getPath() == null || u.getPath().isEmpty())
          && u.getQuery() == null;
      if (!ok) {
        throw CtlException.usage(source + ": '" + s + "' is not http(s)://host[:port]");
      }
      if (!out.contains(u)) {
        out.add(u);
      }
    }
    if (out.isEmpty()) {
      throw CtlException.usage(source + " names no endpoint");
    }
    return List.copyOf(out);
  }
}
