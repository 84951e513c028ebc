package raftsimple.app;

/**
 * One line per log record (java.util.logging's default takes two), unless the operator configured
 * logging with {@code -Djava.util.logging.config.file} or an explicit format. Must run before the
 * first logger is created, so Main calls it from its static initializer.
 */
final class OneLineLogging {
  static final String FORMAT_PROPERTY = "java.util.logging.SimpleFormatter.format";

  private OneLineLogging() {}

  static void install() {
    if (System.getProperty("java.util.logging.config.file") == null
        && System.getProperty(FORMAT_PROPERTY) == null) {
      System.setProperty(FORMAT_PROPERTY, "%1$tF %1$tT.%1$tL %4$s [%3$s] %5$s%6$s%n");
    }
  }
}
