package raftsimple.app;

import java.net.BindException;
import java.util.Locale;
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
 *   <li>4: the client port cannot be bound (already in use, or not an address of this host);
 *   <li>11: Vert.x itself could not start (e.g. the cluster manager cannot bind);
 *   <li>15: a component failed to start for another reason (e.g. the port is in use).
 * </ul>
 */
final class Exits {
  static final int CONFIG = 2;
  /** A node with {@code join} could not be added to the cluster. */
  static final int JOIN = 3;
  /** The node's {@code host:port} cannot be listened on. */
  static final int ADDRESS_IN_USE = 4;

  private Exits() {}

  /** Whether {@code t} (may be null) is, or was caused by, a failure to bind a port. */
  static boolean isBindFailure(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
      if (c instanceof BindException) {
        return true;
      }
    }
    return false;
  }

  static int configError(ConfigException e) {
    System.err.println("raftsimple: config error: " + e.getMessage());
    return CONFIG;
  }

  /**
   * Maps a non-zero launcher status and the recorded failure (may be null) to the exit status;
   * {@code address} ({@code host:port}) names what a bind failure could not listen on.
   */
  static int startFailure(int launcherCode, Throwable cause, String address) {
    for (Throwable t = cause; t != null; t = t.getCause()) {
      if (t instanceof BindException) {
        String why = t.getMessage() == null ? "cannot bind" : t.getMessage();
        System.err.println("raftsimple: cannot listen on " + address + ": "
            + why.toLowerCase(Locale.ROOT));
        return ADDRESS_IN_USE;
      }
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
