package raftsimple.bench;

import com.sun.management.OperatingSystemMXBean;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.Http2Settings;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.core.parsetools.RecordParser;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import raftsimple.chain.Entry;
import raftsimple.chain.Hash;
import raftsimple.core.msg.Message;
import raftsimple.core.msg.Proposal;
import raftsimple.transport.TestCerts;
import raftsimple.transport.WireCodec;

/**
 * Candidate peer links measured on loopback (issue 9 item 5; docs/TRANSPORTS.md §2.6): two nodes A
 * and B, each a Vert.x with one event loop, an HTTP(S) server and a link to the other, both in this
 * JVM. Every candidate carries the same {@link WireCodec} envelopes and decodes them on arrival;
 * they differ only in how bytes travel:
 *
 * <ul>
 *   <li>{@code post}: the old transport's way, a POST per batch, one batch in flight per peer
 *       (what queues meanwhile forms the next batch), a keep-alive pool of two connections;
 *   <li>{@code ws}: one WebSocket per peer, one binary message per event-loop turn (zero-linger
 *       coalescing), paused on {@code writeQueueFull} until drained;
 *   <li>{@code h2}: one long-lived HTTP/2 POST stream per peer (ALPN over TLS, prior knowledge in
 *       plain), length-prefixed envelopes in its body, the same coalescing;
 *   <li>{@code h1}: the same stream over HTTP/1.1 chunked encoding.
 * </ul>
 *
 * Three measures per candidate: {@code rtt} (one message A to B and B's echo back on its own link,
 * one at a time: the latency of a request and its reply), {@code tput} (A streams messages to B
 * with at most {@code window} unacknowledged, produced {@code burst} per event-loop turn) and the
 * process CPU time per message in the throughput phase (both nodes and GC; the machine's two
 * cores are shared, so compare candidates of one run). Run with {@code bench/peerlink.sh}.
 */
public final class PeerLinkBench {
  private static final String PATH_POST = "/peer/messages";
  private static final String PATH_WS = "/peer/stream";
  private static final String PATH_H2 = "/peer/h2";

  /** A node: server on one Vert.x, link to the other node, a handler for arriving messages. */
  private static final class Node {
    final Vertx vertx;
    final String id;
    HttpServer server;
    Link link;
    Consumer<List<Message>> onMessages = m -> {};

    Node(String id) {
      this.id = id;
      this.vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1));
    }
  }

  /** A candidate link from one node to its peer: queue messages; send them on its own schedule. */
  private interface Link {
    void send(Message m);

    Future<Void> close();
  }

  record Settings(boolean tls, Path certs, int messages, int rttRounds, int burst, int window,
      String workload) {}

  private PeerLinkBench() {}

  public static void main(String[] args) throws Exception {
    List<String> candidates = List.of(System.getProperty("candidates", "post,ws,h2,h1").split(","));
    boolean tls = Boolean.parseBoolean(System.getProperty("tls", "true"));
    int repeats = Integer.getInteger("repeats", 3);
    Path dir = Files.createTempDirectory("peerlink");
    Path certs = tls ? TestCerts.generate(dir.resolve("certs"), "a", "b") : null;
    Settings s = new Settings(tls, certs, Integer.getInteger("messages", 200_000),
        Integer.getInteger("rtt", 5_000), Integer.getInteger("burst", 4),
        Integer.getInteger("window", 2_000), System.getProperty("workload", "propose"));
    System.out.printf("# peer links on loopback, tls=%s, workload=%s (%d bytes/message in an "
            + "envelope of one), %d messages, burst %d, window %d, %d rtt rounds; load %s%n",
        tls, s.workload(), WireCodec.encode("a", List.of(message(s.workload(), "a", "b", 0))).length,
        s.messages(), s.burst(), s.window(), s.rttRounds(), loadAverage());
    System.out.println("| candidate | run | rtt p50 us | rtt p99 us | msgs/s | cpu us/msg | envelopes/s |");
    System.out.println("|---|---|---|---|---|---|---|");
    for (int r = 1; r <= repeats; r++) {
      for (String c : candidates) {
        run(c, r, s);
      }
    }
  }

  private static void run(String candidate, int run, Settings s) throws Exception {
    Node a = new Node("a");
    Node b = new Node("b");
    try {
      startServer(a, candidate, s);
      startServer(b, candidate, s);
      a.link = await(link(a, b, candidate, s));
      b.link = await(link(b, a, candidate, s));
      Counters counters = new Counters();
      wire(a, b, counters);
      warmUp(a, b, s, counters);
      long[] rtt = rtt(a, b, s, counters);
      counters.envelopes = 0;
      long cpu0 = cpuNanos();
      long t0 = System.nanoTime();
      await(throughput(a, b, s, counters));
      long elapsed = System.nanoTime() - t0;
      long cpu = cpuNanos() - cpu0;
      System.out.printf("| %s | %d | %d | %d | %.0f | %.2f | %.0f |%n", candidate, run,
          rtt[rtt.length / 2] / 1000, rtt[(int) (rtt.length * 0.99)] / 1000,
          s.messages() * 1e9 / elapsed, cpu / 1e3 / s.messages(), counters.envelopes * 1e9 / elapsed);
    } finally {
      for (Node n : List.of(a, b)) {
        if (n.link != null) {
          await(n.link.close().otherwiseEmpty());
        }
        await(n.vertx.close());
      }
    }
  }

  // ------------------------------------------------------------------ the three phases

  private static final class Counters {
    volatile long received;
    volatile long envelopes;
    volatile long echoed;
  }

  /** B counts what arrives and echoes ReadQuery probes; A counts echoes. */
  private static void wire(Node a, Node b, Counters c) {
    b.onMessages = ms -> {
      c.envelopes++;
      c.received += ms.size();
      for (Message m : ms) {
        if (m instanceof Message.ReadQuery q) {
          b.link.send(new Message.ReadQuery("b", "a", 0, Hash.ZERO, q.readRound()));
        }
      }
    };
    a.onMessages = ms -> c.echoed += ms.size();
  }

  private static void warmUp(Node a, Node b, Settings s, Counters c) throws Exception {
    Settings warm = new Settings(s.tls(), s.certs(), Math.min(50_000, s.messages()), 0, s.burst(),
        s.window(), s.workload());
    await(throughput(a, b, warm, c));
    rtt(a, b, new Settings(s.tls(), s.certs(), 0, 1_000, 1, 1, s.workload()), c);
  }

  private static long[] rtt(Node a, Node b, Settings s, Counters c) throws Exception {
    long[] out = new long[s.rttRounds()];
    Promise<Void> done = Promise.promise();
    long[] sentAt = new long[1];
    int[] i = {0};
    long base = c.echoed;
    Runnable next = () -> {
      sentAt[0] = System.nanoTime();
      a.link.send(new Message.ReadQuery("a", "b", 0, Hash.ZERO, i[0]));
    };
    a.onMessages = ms -> {
      c.echoed += ms.size();
      out[i[0]] = System.nanoTime() - sentAt[0];
      i[0]++;
      if (i[0] == out.length) {
        done.complete();
      } else {
        next.run();
      }
    };
    if (out.length == 0) {
      return new long[] {0};
    }
    a.vertx.runOnContext(v -> next.run());
    await(done.future());
    a.onMessages = ms -> c.echoed += ms.size();
    Arrays.sort(out);
    return out;
  }

  /** A sends {@code s.messages()} messages, {@code burst} per turn, at most {@code window} ahead. */
  private static Future<Void> throughput(Node a, Node b, Settings s, Counters c) {
    Promise<Void> done = Promise.promise();
    long start = c.received;
    long[] sent = {0};
    Runnable[] pump = new Runnable[1];
    pump[0] = () -> {
      long received = c.received - start;
      if (received >= s.messages()) {
        done.tryComplete();
        return;
      }
      int n = 0;
      while (n < s.burst() && sent[0] < s.messages() && sent[0] - received < s.window()) {
        a.link.send(message(s.workload(), "a", "b", sent[0]));
        sent[0]++;
        n++;
      }
      if (n == 0) {
        a.vertx.setTimer(1, t -> pump[0].run()); // window full: wait for B
      } else {
        a.vertx.runOnContext(v -> pump[0].run()); // the next turn
      }
    };
    a.vertx.runOnContext(v -> pump[0].run());
    return done.future();
  }

  // ------------------------------------------------------------------ servers

  private static void startServer(Node n, String candidate, Settings s) throws Exception {
    HttpServerOptions options = new HttpServerOptions().setHost("127.0.0.1").setPort(0)
        .setMaxWebSocketMessageSize(64 << 20).setCompressionSupported(false);
    if (candidate.equals("h2")) {
      options.setInitialSettings(new Http2Settings().setInitialWindowSize(1 << 20))
          .setHttp2ConnectionWindowSize(4 << 20);
    }
    if (s.tls()) {
      options.setSsl(true).setClientAuth(ClientAuth.REQUIRED)
          .setKeyCertOptions(keyCert(s, n.id)).setTrustOptions(trust(s));
      if (candidate.equals("h2")) {
        options.setUseAlpn(true);
      }
    }
    n.server = await(n.vertx.createHttpServer(options).requestHandler(req -> serve(n, req)).listen());
  }

  private static void serve(Node n, HttpServerRequest req) {
    switch (req.path()) {
      case PATH_POST -> req.body().onSuccess(body -> {
        n.onMessages.accept(WireCodec.decode(body.getBytes()).messages());
        req.response().setStatusCode(204).end();
      });
      case PATH_WS -> req.toWebSocket().onSuccess(ws ->
          ws.binaryMessageHandler(buf -> n.onMessages.accept(WireCodec.decode(buf.getBytes()).messages())));
      case PATH_H2 -> {
        RecordParser parser = RecordParser.newFixed(4);
        boolean[] header = {true};
        parser.handler(buf -> {
          if (header[0]) {
            parser.fixedSizeMode(buf.getInt(0));
            header[0] = false;
          } else {
            n.onMessages.accept(WireCodec.decode(buf.getBytes()).messages());
            parser.fixedSizeMode(4);
            header[0] = true;
          }
        });
        req.handler(parser);
      }
      default -> req.response().setStatusCode(404).end();
    }
  }

  // ------------------------------------------------------------------ links

  private static Future<Link> link(Node from, Node to, String candidate, Settings s) {
    int port = to.server.actualPort();
    return switch (candidate) {
      case "post" -> Future.succeededFuture(new PostLink(from, port, s));
      case "ws" -> WsLink.open(from, port, s);
      case "h2" -> StreamLink.open(from, port, s, HttpVersion.HTTP_2);
      case "h1" -> StreamLink.open(from, port, s, HttpVersion.HTTP_1_1);
      default -> throw new IllegalArgumentException("unknown candidate " + candidate);
    };
  }

  /** Messages queued in one turn, flushed by one task queued behind that turn (zero-linger). */
  private abstract static class Coalescing implements Link {
    final Node from;
    final List<Message> pending = new ArrayList<>();
    boolean scheduled;

    Coalescing(Node from) {
      this.from = from;
    }

    @Override
    public void send(Message m) {
      pending.add(m);
      if (!scheduled) {
        scheduled = true;
        from.vertx.getOrCreateContext().runOnContext(v -> {
          scheduled = false;
          flush();
        });
      }
    }

    abstract void flush();

    /** Up to 256 messages per envelope, as the transports batch. */
    List<Message> take() {
      int n = Math.min(256, pending.size());
      List<Message> batch = new ArrayList<>(pending.subList(0, n));
      pending.subList(0, n).clear();
      return batch;
    }
  }

  private static final class WsLink extends Coalescing {
    private final WebSocket ws;
    private final WebSocketClient client;

    WsLink(Node from, WebSocketClient client, WebSocket ws) {
      super(from);
      this.client = client;
      this.ws = ws;
      ws.drainHandler(v -> flush());
    }

    static Future<Link> open(Node from, int port, Settings s) {
      WebSocketClientOptions o = new WebSocketClientOptions().setMaxMessageSize(64 << 20);
      if (s.tls()) {
        o.setSsl(true).setVerifyHost(false).setKeyCertOptions(keyCert(s, from.id)).setTrustOptions(trust(s));
      }
      WebSocketClient client = from.vertx.createWebSocketClient(o);
      return client.connect(new WebSocketConnectOptions().setHost("127.0.0.1").setPort(port)
              .setURI(PATH_WS).setSsl(s.tls()))
          .map(ws -> new WsLink(from, client, ws));
    }

    @Override
    void flush() {
      while (!pending.isEmpty() && !ws.writeQueueFull()) {
        ws.writeBinaryMessage(Buffer.buffer(WireCodec.encode(from.id, take())));
      }
    }

    @Override
    public Future<Void> close() {
      return ws.close().eventually(client::close);
    }
  }

  private static final class StreamLink extends Coalescing {
    private final HttpClientRequest request;
    private final HttpClient client;

    StreamLink(Node from, HttpClient client, HttpClientRequest request) {
      super(from);
      this.client = client;
      this.request = request;
      request.drainHandler(v -> flush());
    }

    static Future<Link> open(Node from, int port, Settings s, HttpVersion version) {
      HttpClientOptions o = new HttpClientOptions().setProtocolVersion(version)
          .setHttp2ClearTextUpgrade(false)
          .setInitialSettings(new Http2Settings().setInitialWindowSize(1 << 20));
      if (s.tls()) {
        o.setSsl(true).setVerifyHost(false).setKeyCertOptions(keyCert(s, from.id)).setTrustOptions(trust(s))
            .setUseAlpn(version == HttpVersion.HTTP_2);
      }
      HttpClient client = from.vertx.createHttpClient(o, new PoolOptions().setHttp1MaxSize(1));
      return client.request(new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.1")
              .setPort(port).setURI(PATH_H2))
          .map(req -> {
            req.setChunked(true); // HTTP/1.1 needs it; HTTP/2 frames the body itself
            req.sendHead();
            return new StreamLink(from, client, req);
          });
    }

    @Override
    void flush() {
      while (!pending.isEmpty() && !request.writeQueueFull()) {
        byte[] env = WireCodec.encode(from.id, take());
        request.write(Buffer.buffer(env.length + 4).appendInt(env.length).appendBytes(env));
      }
    }

    @Override
    public Future<Void> close() {
      return request.reset().transform(ar -> client.close());
    }
  }

  /** The old transport: one POST per batch, the next batch forms while one is in flight. */
  private static final class PostLink implements Link {
    private final Node from;
    private final WebClient client;
    private final int port;
    private final ArrayDeque<Message> queue = new ArrayDeque<>();
    private boolean inFlight;

    PostLink(Node from, int port, Settings s) {
      this.from = from;
      this.port = port;
      WebClientOptions o = new WebClientOptions().setKeepAlive(true);
      if (s.tls()) {
        o.setSsl(true).setVerifyHost(false).setKeyCertOptions(keyCert(s, from.id)).setTrustOptions(trust(s));
      }
      client = WebClient.create(from.vertx, o, new PoolOptions().setHttp1MaxSize(2));
    }

    @Override
    public void send(Message m) {
      queue.add(m);
      pump();
    }

    private void pump() {
      if (inFlight || queue.isEmpty()) {
        return;
      }
      List<Message> batch = new ArrayList<>();
      while (!queue.isEmpty() && batch.size() < 256) {
        batch.add(queue.poll());
      }
      inFlight = true;
      client.post(port, "127.0.0.1", PATH_POST)
          .sendBuffer(Buffer.buffer(WireCodec.encode(from.id, batch)))
          .onComplete(ar -> {
            inFlight = false;
            pump();
          });
    }

    @Override
    public Future<Void> close() {
      client.close();
      return Future.succeededFuture();
    }
  }

  // ------------------------------------------------------------------ helpers

  static Message message(String workload, String from, String to, long i) {
    if (workload.equals("vote")) {
      return new Message.Vote(from, to, i, Hash.ZERO, Hash.ZERO, true, null, null, false);
    }
    byte[] payload = ("{\"op\":\"put\",\"key\":\"key-" + (i % 10_000) + "\",\"value\":\""
        + "x".repeat(64) + "\"}").getBytes(StandardCharsets.UTF_8);
    Entry e = Entry.create(1_700_000_000_000L + i, from, payload, null);
    return new Message.Propose(from, to, i, Hash.ZERO, Proposal.of(from, List.of(e)));
  }

  private static PemKeyCertOptions keyCert(Settings s, String id) {
    return new PemKeyCertOptions().setCertPath(s.certs().resolve(id + ".crt").toString())
        .setKeyPath(s.certs().resolve(id + ".key").toString());
  }

  private static PemTrustOptions trust(Settings s) {
    return new PemTrustOptions().addCertPath(s.certs().resolve("ca.crt").toString());
  }

  private static long cpuNanos() {
    return ((OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
  }

  private static String loadAverage() {
    try {
      return Files.readString(Path.of("/proc/loadavg")).trim();
    } catch (java.io.IOException e) {
      return "?";
    }
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(120, TimeUnit.SECONDS);
  }
}
