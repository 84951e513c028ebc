package raftsimple.cli;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;

/**
 * A stand-in for a node's HTTP API on a loopback port (the JDK's HttpServer), with handlers the
 * test writes, for the CLI's unit tests; it records every request line it saw.
 */
final class FakeNode implements AutoCloseable {
  final HttpServer server;
  final List<String> requests = new CopyOnWriteArrayList<>();

  FakeNode() {
    try {
      server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    server.setExecutor(Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r, "fake-node");
      t.setDaemon(true);
      return t;
    }));
    server.start();
  }

  /** Serves {@code path} (and below) with {@code handler}. */
  FakeNode on(String path, HttpHandler handler) {
    server.createContext(path, exchange -> {
      requests.add(exchange.getRequestMethod() + " " + exchange.getRequestURI());
      handler.handle(exchange);
    });
    return this;
  }

  /** Answers {@code path} with {@code status} and a JSON body. */
  FakeNode json(String path, int status, String body) {
    return on(path, x -> reply(x, status, body));
  }

  static void reply(HttpExchange x, int status, String body) throws IOException {
    byte[] b = body.getBytes(StandardCharsets.UTF_8);
    x.getResponseHeaders().add("Content-Type", "application/json");
    x.sendResponseHeaders(status, b.length == 0 ? -1 : b.length);
    if (b.length > 0) {
      x.getResponseBody().write(b);
    }
    x.close();
  }

  String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  @Override
  public void close() {
    server.stop(0);
  }

  /** A loopback port nothing listens on (bound, then released). */
  static String deadUrl() {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return "http://127.0.0.1:" + s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** One in-process run of the CLI. */
  record Run(int status, String out, String err) {}

  static Run ctl(Map<String, String> env, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int status = Ctl.run(args, new PrintWriter(out), new PrintWriter(err), env);
    return new Run(status, out.toString(), err.toString());
  }

  static Run ctl(String... args) {
    return ctl(Map.of(), args);
  }
}
