package raftsimple.transport;

import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Hazelcast logs every join, partition migration and shutdown at INFO; the transport tests start a
 * dozen members, so they keep its warnings only. The logger is held here: java.util.logging keeps
 * only weak references, and a collected logger would forget its level.
 */
public final class QuietHazelcast {
  private static final Logger HAZELCAST = Logger.getLogger("com.hazelcast");

  private QuietHazelcast() {}

  public static void install() {
    HAZELCAST.setLevel(Level.WARNING);
  }
}
