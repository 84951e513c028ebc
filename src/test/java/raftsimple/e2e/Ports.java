package raftsimple.e2e;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;

/** Free loopback ports, allocated up front: bind port 0, read the port, close. */
final class Ports {
  private Ports() {}

  /**
   * The first of {@code n} consecutive free ports (for deploy/local-cluster.sh, whose node K listens
   * on BASE_PORT+K-1): tries random bases above the usual ephemeral range's start until all
   * {@code n} bind together.
   */
  static int freeRange(int n) {
    java.util.Random random = new java.util.Random();
    for (int attempt = 0; attempt < 200; attempt++) {
      int base = 20_000 + random.nextInt(12_000);
      List<ServerSocket> held = new ArrayList<>();
      try {
        for (int i = 0; i < n; i++) {
          held.add(new ServerSocket(base + i, 1, InetAddress.getLoopbackAddress()));
        }
        return base;
      } catch (IOException taken) {
        // try another base
      } finally {
        for (ServerSocket s : held) {
          try {
            s.close();
          } catch (IOException ignored) {
            // nothing to do
          }
        }
      }
    }
    throw new IllegalStateException("no " + n + " consecutive free loopback ports found");
  }

  /** {@code n} distinct free ports (all sockets are held open together, so none repeats). */
  static int[] free(int n) {
    List<ServerSocket> held = new ArrayList<>();
    try {
      int[] ports = new int[n];
      for (int i = 0; i < n; i++) {
        ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        held.add(s);
        ports[i] = s.getLocalPort();
      }
      return ports;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot allocate loopback ports", e);
    } finally {
      for (ServerSocket s : held) {
        try {
          s.close();
        } catch (IOException ignored) {
          // nothing to do
        }
      }
    }
  }
}
