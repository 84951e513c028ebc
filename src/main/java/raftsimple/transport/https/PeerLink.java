package raftsimple.transport.https;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.UpgradeRejectedException;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.ext.web.client.WebClient;
import java.lang.System.Logger.Level;
import java.net.ConnectException;
import java.net.URI;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLException;
import raftsimple.bus.BusApi.PeerReachability.Reason;
import raftsimple.core.msg.Message;
import raftsimple.transport.Reachability;
import raftsimple.transport.WireCodec;

/**
 * The streaming link from this node to one peer (docs/TRANSPORTS.md §2): one long-lived WebSocket
 * to {@code <peer url>/peer/stream} on the peer's client port, mutual TLS with the node's
 * certificate when TLS is on. Every protocol message for the peer goes through it, in order.
 *
 * <ul>
 *   <li><b>Zero-linger coalescing.</b> A message is encoded when it is queued; the first message
 *       of an event-loop turn schedules one flush behind the tasks already queued on the loop, so
 *       everything the log verticle sends in one turn leaves in one binary WebSocket message (one
 *       envelope, up to {@link Settings#frameBytesMax} bytes; more makes several). No timer, no
 *       waiting for an answer: a {@code Propose} never waits behind a {@code Commit}.
 *   <li><b>Back-pressure, bounded memory.</b> The link writes only while the socket's write queue
 *       is not full ({@code writeQueueFull}) and resumes on drain; what waits meanwhile (and while
 *       disconnected) stays in a queue of at most {@link Settings#queueMessagesMax} messages and
 *       {@link Settings#queueBytesMax} bytes, dropping the oldest beyond (counted in
 *       {@link #dropped()}; the protocol retransmits, docs/TRANSPORTS.md §1.4). A message too large
 *       for any frame is dropped at once and logged.
 *   <li><b>Reconnect with backoff.</b> A failed connect or a lost connection schedules the next
 *       attempt after {@link Settings#backoffMinMs} doubling to {@link Settings#backoffMaxMs}, with
 *       ±25 % jitter; the backoff starts over once a connection has stayed up for
 *       {@value #STABLE_MS} ms, so a peer that accepts and drops connections cannot make it spin.
 *   <li><b>Liveness.</b> Every {@link Settings#pingMs} the link sends a WebSocket ping (the peer's
 *       Vert.x answers the pong itself, on its event loop); with no pong for
 *       {@link Settings#livenessMs} the connection is declared dead ({@code NO_PONG}) and replaced.
 *       This catches a peer that keeps its TCP connection but does not run (SIGSTOP, a hung loop),
 *       which no socket error reports. When this node's own loop was stalled (a ping tick more than
 *       two intervals late) the deadline starts over: unread pongs are no peer's fault.
 *   <li><b>Reachability.</b> Every connect, failure and loss goes to {@link Reachability}, which
 *       publishes the edges.
 *   <li><b>Older peers.</b> A peer that answers the upgrade with 404 predates the stream: the link
 *       falls back to the old {@code POST /peer/messages}, one batch in flight, and tries the stream
 *       again every {@link Settings#streamRetryMs} (a rolling upgrade).
 * </ul>
 *
 * <p>Confined to the transport verticle's event loop; nothing here blocks.
 */
final class PeerLink {
  private static final System.Logger LOG = System.getLogger(PeerLink.class.getName());
  static final String STREAM_PATH = "/peer/stream";
  static final String POST_PATH = "/peer/messages";
  /** Header naming the sending node on the upgrade request; the ingress checks it against the CN. */
  static final String FROM_HEADER = "raftsimple-node";
  /** A connection that lasted this long resets the backoff. */
  static final long STABLE_MS = 2_000;
  private static final int POST_BATCH_MAX = 256;
  private static final long POST_TIMEOUT_MS = 5_000;

  /**
   * The link's limits and timings; {@link #DEFAULT} in production (tests shorten the timings).
   *
   * @param messageBytesMax a larger encoded message is dropped (the peer's ingress would refuse the
   *     frame: its WebSocket message limit is {@code PeerRoute.BODY_BYTES_MAX})
   */
  record Settings(long connectTimeoutMs, long pingMs, long livenessMs, long backoffMinMs,
      long backoffMaxMs, int queueMessagesMax, long queueBytesMax, int frameBytesMax,
      int messageBytesMax, long streamRetryMs) {
    static final Settings DEFAULT = new Settings(2_000, 250, 1_500, 50, 1_000, 10_000, 64L << 20,
        1 << 20, (64 << 20) - 4_096, 30_000);
  }

  private enum Mode { STREAM, POST }

  private enum State { CONNECTING, OPEN, WAITING, CLOSED }

  private final Vertx vertx;
  private final Context context;
  private final String self;
  private final String peer;
  private final String url;
  private final WebSocketClient client;
  private final WebClient postClient;
  private final Reachability reachability;
  private final Settings settings;
  private final WebSocketConnectOptions connectOptions;

  private final ArrayDeque<byte[]> queue = new ArrayDeque<>();
  private long queuedBytes;
  private boolean flushScheduled;

  private Mode mode = Mode.STREAM;
  private State state = State.WAITING;
  private WebSocket ws;
  private long attempt;
  private long reconnectTimer = -1;
  private long pingTimer = -1;
  private long openedAtNanos;
  private long lastPongNanos;
  private long lastTickNanos;
  private Throwable lastError;
  private int failures;
  private long postModeSinceNanos;
  private boolean postInFlight;

  private long dropped;
  private long tooLarge;
  private long messagesSent;
  private long framesSent;
  private long connects;

  PeerLink(Vertx vertx, String self, String peer, String url, WebSocketClient client,
      WebClient postClient, Reachability reachability, Settings settings) {
    this.vertx = vertx;
    this.context = vertx.getOrCreateContext();
    this.self = self;
    this.peer = peer;
    this.url = url;
    this.client = client;
    this.postClient = postClient;
    this.reachability = reachability;
    this.settings = settings;
    this.connectOptions = connectOptions(url, self, settings);
  }

  /** Where the stream goes: host, port and TLS from the peer's URL, its path + /peer/stream. */
  static WebSocketConnectOptions connectOptions(String url, String self, Settings settings) {
    URI u = URI.create(url);
    boolean tls = "https".equalsIgnoreCase(u.getScheme());
    int port = u.getPort() > 0 ? u.getPort() : tls ? 443 : 80;
    String base = u.getRawPath() == null ? "" : u.getRawPath().replaceAll("/+$", "");
    return new WebSocketConnectOptions().setHost(u.getHost()).setPort(port).setSsl(tls)
        .setURI(base + STREAM_PATH).addHeader(FROM_HEADER, self)
        .setConnectTimeout(settings.connectTimeoutMs());
  }

  void start() {
    connect();
  }

  /** Queues {@code m} for the peer; it leaves at the end of this event-loop turn if connected. */
  void send(Message m) {
    byte[] bytes = WireCodec.encodeMessage(m);
    if (bytes.length > settings.messageBytesMax()) {
      tooLarge++;
      if (Long.bitCount(tooLarge) == 1) {
        LOG.log(Level.WARNING, "a {0} of {1} bytes for {2} is larger than a peer takes ({3} bytes); "
            + "dropped ({4} so far)", m.getClass().getSimpleName(), bytes.length, peer,
            settings.messageBytesMax(), tooLarge);
      }
      return;
    }
    while (!queue.isEmpty() && (queue.size() >= settings.queueMessagesMax()
        || queuedBytes + bytes.length > settings.queueBytesMax())) {
      queuedBytes -= queue.pollFirst().length;
      dropped++;
    }
    queue.addLast(bytes);
    queuedBytes += bytes.length;
    scheduleFlush();
  }

  private void scheduleFlush() {
    if (!flushScheduled && state == State.OPEN) {
      flushScheduled = true;
      // Queued behind every task already on the loop: the rest of this turn's messages come too.
      context.runOnContext(v -> {
        flushScheduled = false;
        flush();
      });
    }
  }

  private void flush() {
    if (state != State.OPEN || queue.isEmpty()) {
      return;
    }
    if (mode == Mode.POST) {
      postNext();
      return;
    }
    while (!queue.isEmpty() && !ws.writeQueueFull()) {
      List<byte[]> batch = take(Integer.MAX_VALUE, settings.frameBytesMax());
      ws.writeBinaryMessage(Buffer.buffer(WireCodec.envelope(self, batch)));
      framesSent++;
      messagesSent += batch.size();
    }
  }

  /** At least one message, then more while within both limits. */
  private List<byte[]> take(int messagesMax, long bytesMax) {
    List<byte[]> batch = new ArrayList<>();
    long bytes = 0;
    while (!queue.isEmpty() && batch.size() < messagesMax
        && (batch.isEmpty() || bytes + queue.peekFirst().length <= bytesMax)) {
      byte[] m = queue.pollFirst();
      queuedBytes -= m.length;
      bytes += m.length;
      batch.add(m);
    }
    return batch;
  }

  // ------------------------------------------------------------------ the connection

  private void connect() {
    if (state == State.CLOSED) {
      return;
    }
    state = State.CONNECTING;
    long mine = ++attempt;
    // The connect timeout covers TCP; this one covers TLS and the upgrade too (a frozen peer's
    // kernel completes the TCP handshake, then nothing answers).
    long timer = vertx.setTimer(2 * settings.connectTimeoutMs(), t -> {
      if (mine == attempt && state == State.CONNECTING) {
        failed(new TimeoutException("no answer to the stream upgrade within "
            + 2 * settings.connectTimeoutMs() + " ms"));
      }
    });
    client.connect(connectOptions).onComplete(ar -> {
      vertx.cancelTimer(timer);
      if (mine != attempt || state != State.CONNECTING) {
        if (ar.succeeded()) {
          ar.result().close(); // too late: this attempt was given up or the link closed
        }
        return;
      }
      if (ar.succeeded()) {
        opened(ar.result());
      } else {
        failed(ar.cause());
      }
    });
  }

  private void opened(WebSocket socket) {
    ws = socket;
    state = State.OPEN;
    lastError = null;
    connects++;
    openedAtNanos = System.nanoTime();
    lastPongNanos = openedAtNanos;
    lastTickNanos = openedAtNanos;
    socket.exceptionHandler(e -> {
      if (ws == socket) {
        lastError = e;
      }
    });
    socket.closeHandler(v -> {
      if (ws == socket) {
        lost(Reason.CLOSED, closeText(socket));
      }
    });
    socket.pongHandler(b -> {
      if (ws == socket) {
        lastPongNanos = System.nanoTime();
      }
    });
    socket.drainHandler(v -> {
      if (ws == socket) {
        flush();
      }
    });
    pingTimer = vertx.setPeriodic(settings.pingMs(), id -> ping(socket));
    reachability.up(peer, Reason.CONNECTED, "stream to " + url);
    flush();
  }

  private void ping(WebSocket socket) {
    if (ws != socket) {
      return;
    }
    long now = System.nanoTime();
    long tickGapMs = (now - lastTickNanos) / 1_000_000;
    lastTickNanos = now;
    if (tickGapMs > 2 * settings.pingMs()) {
      // This node's own loop was stalled (a long task, GC, no CPU): pongs may be waiting unread in
      // the socket. Blame no peer for it; start the deadline over.
      lastPongNanos = now;
    }
    long silentMs = (now - lastPongNanos) / 1_000_000;
    if (silentMs > settings.livenessMs()) {
      lost(Reason.NO_PONG, "no pong for " + silentMs + " ms (limit " + settings.livenessMs()
          + " ms): the peer holds the connection but does not run");
      return;
    }
    socket.writePing(Buffer.buffer());
  }

  private String closeText(WebSocket socket) {
    Short code = socket.closeStatusCode();
    if (code != null) {
      String reason = socket.closeReason();
      return "the peer closed the stream (" + code + (reason == null || reason.isEmpty() ? "" : " "
          + reason) + ")";
    }
    return lastError != null ? "connection lost: " + lastError : "connection closed";
  }

  /** An open connection ended: report, drop it, reconnect. */
  private void lost(Reason reason, String detail) {
    WebSocket old = ws;
    ws = null;
    vertx.cancelTimer(pingTimer);
    pingTimer = -1;
    if (old != null && !old.isClosed()) {
      old.close();
    }
    if ((System.nanoTime() - openedAtNanos) / 1_000_000 >= STABLE_MS) {
      failures = 0;
    }
    reachability.down(peer, reason, detail);
    waitThenReconnect();
  }

  /** A connect attempt failed. */
  private void failed(Throwable cause) {
    if (cause instanceof UpgradeRejectedException r && r.getStatus() == 404 && mode == Mode.STREAM) {
      LOG.log(Level.WARNING, "peer {0} ({1}) has no {2} (an older version?): sending over POST {3} "
          + "and trying the stream again every {4} ms", peer, url, STREAM_PATH, POST_PATH,
          settings.streamRetryMs());
      mode = Mode.POST;
      postModeSinceNanos = System.nanoTime();
      state = State.OPEN;
      flush();
      return;
    }
    reachability.down(peer, reasonFor(cause), describe(cause));
    waitThenReconnect();
  }

  private void waitThenReconnect() {
    if (state == State.CLOSED) {
      return;
    }
    state = State.WAITING;
    failures++;
    long base = Math.min(settings.backoffMaxMs(),
        settings.backoffMinMs() << Math.min(20, failures - 1));
    long delay = Math.max(1, base * (75 + ThreadLocalRandom.current().nextInt(51)) / 100);
    reconnectTimer = vertx.setTimer(delay, id -> {
      reconnectTimer = -1;
      if (mode == Mode.POST
          && (System.nanoTime() - postModeSinceNanos) / 1_000_000 < settings.streamRetryMs()) {
        state = State.OPEN;
        flush();
      } else {
        mode = Mode.STREAM;
        connect();
      }
    });
  }

  static Reason reasonFor(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof UpgradeRejectedException) {
        return Reason.REFUSED_BY_PEER;
      }
      if (t instanceof SSLException) {
        return Reason.TLS;
      }
      if (t instanceof ConnectException) {
        return Reason.REFUSED;
      }
      if (t instanceof TimeoutException || t instanceof io.netty.channel.ConnectTimeoutException) {
        return Reason.TIMEOUT;
      }
    }
    return Reason.CLOSED;
  }

  private static String describe(Throwable e) {
    if (e instanceof UpgradeRejectedException r) {
      String body = r.getBody() == null ? "" : " " + r.getBody().toString();
      return "the peer refused the stream: " + r.getStatus() + body
          + HttpsTransportVerticle.hint(r.getStatus());
    }
    return String.valueOf(e);
  }

  // ------------------------------------------------------------------ fallback: POST per batch

  private void postNext() {
    if (postInFlight || queue.isEmpty()) {
      return;
    }
    List<byte[]> batch = take(POST_BATCH_MAX, settings.frameBytesMax());
    postInFlight = true;
    framesSent++;
    messagesSent += batch.size();
    postClient.postAbs(url + POST_PATH).timeout(POST_TIMEOUT_MS)
        .putHeader("content-type", "application/json")
        .sendBuffer(Buffer.buffer(WireCodec.envelope(self, batch)))
        .compose(resp -> resp.statusCode() / 100 == 2 ? Future.succeededFuture()
            : Future.failedFuture(new PostRefused(resp.statusCode(), resp.bodyAsString())))
        .onComplete(ar -> {
          postInFlight = false;
          if (state != State.OPEN || mode != Mode.POST) {
            return;
          }
          if (ar.succeeded()) {
            reachability.up(peer, Reason.CONNECTED, "POST to " + url);
            failures = 0;
            postNext();
          } else {
            Throwable e = ar.cause();
            reachability.down(peer, e instanceof PostRefused ? Reason.REFUSED_BY_PEER
                : reasonFor(e), String.valueOf(e));
            waitThenReconnect();
          }
        });
  }

  /** A POST answered with a non-2xx status. */
  private static final class PostRefused extends RuntimeException {
    private static final long serialVersionUID = 1L;

    PostRefused(int status, String body) {
      super("answered " + status + " " + body + HttpsTransportVerticle.hint(status), null, false,
          false);
    }

    @Override
    public String toString() {
      return getMessage();
    }
  }

  // ------------------------------------------------------------------ lifecycle and state

  /** Stops the link: no reconnects, the connection closed, queued messages dropped. */
  void close() {
    state = State.CLOSED;
    attempt++;
    vertx.cancelTimer(reconnectTimer);
    vertx.cancelTimer(pingTimer);
    WebSocket old = ws;
    ws = null;
    if (old != null && !old.isClosed()) {
      old.close((short) 1001, "node stopping or peer removed");
    }
    queue.clear();
    queuedBytes = 0;
  }

  String url() {
    return url;
  }

  boolean open() {
    return state == State.OPEN;
  }

  /** True when talking to an older peer over POST. */
  boolean legacy() {
    return mode == Mode.POST;
  }

  int queued() {
    return queue.size();
  }

  long queuedBytes() {
    return queuedBytes;
  }

  long dropped() {
    return dropped;
  }

  long messagesSent() {
    return messagesSent;
  }

  long framesSent() {
    return framesSent;
  }

  long connects() {
    return connects;
  }
}
