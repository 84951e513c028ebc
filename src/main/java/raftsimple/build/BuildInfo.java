package raftsimple.build;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/**
 * What was built: the project version and the git commit, from {@code raftsimple/build.properties}
 * (filled in by Maven: resource filtering and git-commit-id-maven-plugin). A build without a
 * {@code .git} directory, or classes run without Maven, report the commit as {@value #UNKNOWN}.
 * Used by {@code --version} (node and CLI), {@code GET /version}, the {@code raftsimple_build_info}
 * gauge and the start-up log line.
 */
public record BuildInfo(String version, String commit, boolean dirty) {
  public static final String UNKNOWN = "unknown";
  static final String RESOURCE = "/raftsimple/build.properties";

  private static final BuildInfo CURRENT = load();

  /** This build's information (read once). */
  public static BuildInfo current() {
    return CURRENT;
  }

  /** "0.1.0-SNAPSHOT commit 2a37ae6e50e1", with "-dirty" when built from a modified tree. */
  public String describe() {
    return version + " commit " + commit + (dirty ? "-dirty" : "");
  }

  static BuildInfo load() {
    Properties p = new Properties();
    try (InputStream in = BuildInfo.class.getResourceAsStream(RESOURCE)) {
      if (in != null) {
        p.load(in);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + RESOURCE, e);
    }
    return fromProperties(p);
  }

  /** Values Maven did not fill in (still "${...}", or missing) become {@value #UNKNOWN}. */
  static BuildInfo fromProperties(Properties p) {
    return new BuildInfo(value(p, "version"), value(p, "commit"), "true".equals(p.getProperty("dirty")));
  }

  private static String value(Properties p, String key) {
    String v = p.getProperty(key);
    return v == null || v.isBlank() || v.startsWith("${") ? UNKNOWN : v.trim();
  }
}
