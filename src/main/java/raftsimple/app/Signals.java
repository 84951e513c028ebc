package raftsimple.app;

import java.lang.System.Logger.Level;
import sun.misc.Signal;

/**
 * SIGTERM handling. By default the JVM answers SIGTERM by running shutdown hooks and exiting with
 * 143 (128 + 15), whatever the hooks do; CONTRACT wants 0 after a clean stop. Installing our own
 * handler replaces the JVM's for TERM only (SIGINT keeps the default: hooks, then 130). The
 * handler runs on a JVM-created thread, which may block while the node stops. sun.misc.Signal
 * (module jdk.unsupported) is the only JDK API for this; javac's "internal proprietary API"
 * warning about it cannot be suppressed and is expected.
 */
final class Signals {
  private static final System.Logger LOG = System.getLogger(Signals.class.getName());

  private Signals() {}

  static void onTerm(Runnable action) {
    try {
      Signal.handle(new Signal("TERM"), signal -> action.run());
    } catch (IllegalArgumentException e) {
      // e.g. -Xrs, or a platform without SIGTERM: the JVM default (exit 143) remains.
      LOG.log(Level.WARNING, "cannot handle SIGTERM, a stop will exit with 143: " + e);
    }
  }
}
