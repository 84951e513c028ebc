package raftsimple.app;

import raftsimple.config.ConfigException;
import raftsimple.log.JoinFailedException;
import raftsimple.log.ReplayFailedException;
import raftsimple.storage.WalCorruptException;

/**
 * How a failed start becomes an exit status and one line on stderr.
 *
 * <ul>
 *   <li>0: started, and later stopped cleanly by SIGTERM;
 *   <li>1: SIGTERM arrived but stopping failed or took over 10 s; or an unexpected launcher error;
 *   <li>2: bad config (key, variable or file named), or a {@link FatalStartupException} with code
 *       2 (corrupt storage); any other FatalStartupException: its own code;
 *   <li>3: a node with {@code join} could not join (cluster unreachable, refused, or not raftsimple);
 *   <li>11: Vert.x itself could not start (e.g. the cluster manager cannot bind);
 *   <li>15: a component failed to start for another reason (e.g. the port is in use).
 * </ul>
 */
final class Exits {
  static final int CONFIG = 2;
  /** A node with {@code join} could not be added to the cluster. */
  static final int JOIN = 3;

  private Exits() {}

  static int configError(ConfigException e) {
    System.err.println("raftsimple: config error: " + e.getMessage());
    return CONFIG;
  }

  /** Maps a non-zero launcher status and the recorded failure (may be null) to the exit status. */
  static int startFailure(int launcherCode, Throwable cause) {
    for (Throwable t = cause; t != null; t = t.getCause()) {
      if (t instanceof FatalStartupException) {
        FatalStartupException fatal = (FatalStartupException) t;
        System.err.println("raftsimple: failed to start: " + fatal.getMessage());
        return fatal.exitCode();
      }
      if (t instanceof WalCorruptException || t instanceof ReplayFailedException) {
        System.err.println("raftsimple: refusing to start: " + t.getMessage());
        return FatalStartupException.CORRUPT_STORAGE;
      }
      if (t instanceof JoinFailedException) {
        System.err.println("raftsimple: could not join: " + t.getMessage());
        return JOIN;
      }
      if (t instanceof ConfigException) {
        return configError((ConfigException) t);
      }
      if (t.getCause() == t) {
        break;
      }
    }
    System.err.println("raftsimple: failed to start (status " + launcherCode + "): "
        + (cause == null ? "see the log above" : cause.toString()));
    return launcherCode;
  }
}
