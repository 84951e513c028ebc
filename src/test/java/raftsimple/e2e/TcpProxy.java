package raftsimple.e2e;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A loopback TCP forwarder in front of one node's port, for one peer link. {@link #cut()} closes
 * every connection through it and, until {@link #heal()}, closes new ones as soon as they are
 * accepted (the port stays bound, so the link comes back on the same URL). TLS runs end to end
 * through it, so mutual TLS is unaffected. Blocking sockets, two daemon threads per connection.
 */
final class TcpProxy implements AutoCloseable {
  private final String name;
  private final int targetPort;
  private final ServerSocket server;
  private final Set<Socket> open = ConcurrentHashMap.newKeySet();
  private final AtomicLong accepted = new AtomicLong();
  private final AtomicLong refused = new AtomicLong();
  private volatile boolean cut;
  private volatile boolean closed;

  TcpProxy(String name, int targetPort) {
    this.name = name;
    this.targetPort = targetPort;
    try {
      server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    } catch (IOException e) {
      throw new UncheckedIOException("proxy " + name + ": cannot bind", e);
    }
    Thread t = new Thread(this::acceptLoop, "proxy-" + name + "-accept");
    t.setDaemon(true);
    t.start();
  }

  int port() {
    return server.getLocalPort();
  }

  /** Drops every connection and refuses new ones until {@link #heal()}. */
  void cut() {
    cut = true;
    open.forEach(TcpProxy::closeQuietly);
  }

  void heal() {
    cut = false;
  }

  boolean isCut() {
    return cut;
  }

  /** Connections forwarded so far, and connections refused while cut. */
  long accepted() {
    return accepted.get();
  }

  long refused() {
    return refused.get();
  }

  @Override
  public void close() {
    closed = true;
    closeQuietly(server);
    open.forEach(TcpProxy::closeQuietly);
  }

  private void acceptLoop() {
    while (!closed) {
      Socket client;
      try {
        client = server.accept();
      } catch (IOException e) {
        if (!closed) {
          System.err.println("proxy " + name + ": accept failed: " + e);
        }
        return;
      }
      // Registered before the check: cut() sets the flag and then closes what is registered, so a
      // connection either sees the flag here or is closed by cut().
      open.add(client);
      if (cut) {
        refused.incrementAndGet();
        drop(client);
        continue;
      }
      Socket target = new Socket();
      open.add(target);
      try {
        client.setTcpNoDelay(true);
        target.setTcpNoDelay(true);
        target.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), targetPort), 2_000);
      } catch (IOException e) {
        drop(client);
        drop(target);
        continue; // the node is down: the peer sees its connection closed
      }
      if (cut) {
        refused.incrementAndGet();
        drop(client);
        drop(target);
        continue;
      }
      accepted.incrementAndGet();
      pump(client, target, "up");
      pump(target, client, "down");
    }
  }

  private void pump(Socket from, Socket to, String direction) {
    Thread t = new Thread(() -> {
      byte[] buf = new byte[16 * 1024];
      try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
        int n;
        while ((n = in.read(buf)) >= 0) {
          out.write(buf, 0, n);
          out.flush();
        }
      } catch (IOException ended) {
        // closed by the other side, by cut() or by close()
      } finally {
        drop(from);
        drop(to);
      }
    }, "proxy-" + name + "-" + direction);
    t.setDaemon(true);
    t.start();
  }

  private void drop(Socket s) {
    closeQuietly(s);
    open.remove(s);
  }

  private static void closeQuietly(java.io.Closeable c) {
    try {
      c.close();
    } catch (IOException ignored) {
      // already closed
    }
  }

  @Override
  public String toString() {
    return "proxy " + name + " :" + port() + " -> :" + targetPort + (cut ? " (cut)" : "");
  }
}
