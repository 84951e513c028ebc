package raftsimple.transport.https;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.net.NetServer;
import io.vertx.ext.web.client.WebClient;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import raftsimple.bus.Addresses;
import raftsimple.bus.BusApi.PeerReachability;
import raftsimple.bus.LocalCodec;
import raftsimple.chain.Entry;
import raftsimple.chain.Hash;
import raftsimple.core.msg.Message;
import raftsimple.core.msg.Proposal;
import raftsimple.transport.Reachability;
import raftsimple.transport.WireCodec;

/**
 * One {@link PeerLink} against stand-in peers on loopback (plain HTTP: TLS is the contract test's
 * subject): what a turn's messages become on the wire, what a peer that stops reading does to the
 * sender's memory, a peer that holds its connection but never answers a ping, and an older peer
 * without the stream. Every wait is for an event, bounded by the test timeout.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 60, timeUnit = TimeUnit.SECONDS)
class PeerLinkTest {
  /** Short timings; small queue and frames so that a stalled peer fills them quickly. */
  static final PeerLink.Settings FAST = new PeerLink.Settings(2_000, 50, 300, 20, 200, 1_000,
      4L << 20, 16 << 10, 1 << 20, 30_000);
  /**
   * As {@link #FAST}, with a liveness deadline longer than the test: a peer that stops reading
   * stops answering pings too (its pings wait unread behind the data), which would end the
   * connection this test is about.
   */
  static final PeerLink.Settings PATIENT = new PeerLink.Settings(2_000, 50, 600_000, 20, 200, 1_000,
      4L << 20, 16 << 10, 1 << 20, 30_000);

  private Vertx vertx;
  private final List<PeerReachability> edges = new CopyOnWriteArrayList<>();
  private final List<Runnable> cleanups = new ArrayList<>();
  private volatile Runnable onEvent = () -> {};

  @BeforeEach
  void start(Vertx vertx) {
    this.vertx = vertx;
    LocalCodec.registerAll(vertx.eventBus());
    vertx.eventBus().<PeerReachability>localConsumer(Addresses.PEER_REACHABILITY, m -> {
      edges.add(m.body());
      onEvent.run();
    });
  }

  @AfterEach
  void stop() {
    cleanups.forEach(Runnable::run);
  }

  // ------------------------------------------------------------------ the tests

  /** Zero-linger coalescing: everything queued in one event-loop turn leaves in one frame. */
  @Test
  void aTurnsMessages_leaveInOneFrame_inOrder(VertxTestContext tc) {
    List<Buffer> frames = new CopyOnWriteArrayList<>();
    streamServer(ws -> ws.binaryMessageHandler(b -> {
      frames.add(b);
      onEvent.run();
    })).compose(port -> {
      PeerLink link = link(port, FAST);
      return until(() -> link.open()).map(link);
    }).compose(link -> {
      vertx.runOnContext(v -> {
        for (int i = 0; i < 100; i++) {
          link.send(probe(i));
        }
      });
      return until(() -> !frames.isEmpty() && rounds(frames).size() == 100);
    }).onComplete(tc.succeeding(v -> tc.verify(() -> {
      assertEquals(1, frames.size(), "one frame for one turn's messages");
      assertEquals(ascending(0, 100), rounds(frames));
      tc.completeNow();
    })));
  }

  /**
   * A peer that accepts the stream and stops reading: the socket's write queue fills, the link
   * stops writing, its own queue stays within its bound (oldest dropped, counted) however much is
   * sent; when the peer reads again, what was kept arrives in order, the newest message last.
   */
  @Test
  void aPeerThatStopsReading_costsBoundedMemory_andGetsTheNewestInOrderWhenItReadsAgain(
      VertxTestContext tc) {
    List<Long> got = new CopyOnWriteArrayList<>();
    ServerWebSocket[] peer = new ServerWebSocket[1];
    int total = 3_000; // 3 MB of 1 KB proposals: more than the (shrunk) socket buffers hold
    streamServer(ws -> {
      peer[0] = ws;
      ws.pause();
      ws.binaryMessageHandler(b -> {
        got.addAll(rounds(List.of(b)));
        onEvent.run();
      });
    }).compose(port -> {
      PeerLink link = link(port, PATIENT);
      return until(() -> link.open() && peer[0] != null).map(link);
    }).compose(link -> sendInTurns(link, total, 200).map(link))
        .onComplete(tc.succeeding(link -> tc.verify(() -> {
          assertTrue(link.queued() <= FAST.queueMessagesMax(), "queued " + link.queued());
          assertTrue(link.queuedBytes() <= FAST.queueBytesMax(), "queued bytes " + link.queuedBytes());
          assertTrue(link.dropped() > 0, "nothing dropped: the peer's buffers took " + total);
          long written = link.messagesSent();
          assertEquals(total, written + link.queued() + link.dropped(), "every message accounted for");
          peer[0].resume();
          until(() -> last(got) == total - 1)
              .onComplete(tc.succeeding(v -> tc.verify(() -> {
                for (int i = 1; i < got.size(); i++) {
                  assertTrue(got.get(i) > got.get(i - 1), "out of order at " + i + ": " + got.get(i));
                }
                assertEquals(written + FAST.queueMessagesMax(), got.size(),
                    "what was written, then the full queue that waited");
                tc.completeNow();
              })));
        })));
  }

  /**
   * A peer whose kernel keeps the connection but whose process does not run (SIGSTOP): it took
   * the upgrade and then answers nothing, not even a ping. The link reports it unreachable with
   * {@code NO_PONG} after the liveness deadline, and reconnects.
   */
  @Test
  void aPeerThatHoldsTheConnectionButNeverAnswersAPing_isReportedNoPong(VertxTestContext tc) {
    silentWebSocketServer().compose(port -> {
      link(port, FAST);
      return until(() -> edges.size() >= 2);
    }).onComplete(tc.succeeding(v -> tc.verify(() -> {
      assertEquals(true, edges.get(0).reachable(), "" + edges);
      assertEquals(PeerReachability.Reason.CONNECTED, edges.get(0).reason());
      assertEquals(false, edges.get(1).reachable(), "" + edges);
      assertEquals(PeerReachability.Reason.NO_PONG, edges.get(1).reason(), "" + edges);
      tc.completeNow();
    })));
  }

  /** The control for the test above: a live peer answers pings, so the link stays up. */
  @Test
  void aLivePeer_keepsTheLinkUpPastManyLivenessDeadlines(VertxTestContext tc) {
    List<Buffer> pongsSeen = new CopyOnWriteArrayList<>();
    streamServer(ws -> ws.frameHandler(f -> {
      if (f.isPing()) {
        pongsSeen.add(f.binaryData());
        onEvent.run();
      }
    })).compose(port -> {
      link(port, FAST);
      // 40 pings at 50 ms: 2 s, several times the 300 ms deadline.
      return until(() -> pongsSeen.size() >= 40);
    }).onComplete(tc.succeeding(v -> tc.verify(() -> {
      assertEquals(1, edges.size(), "only the first connect: " + edges);
      assertTrue(edges.get(0).reachable());
      tc.completeNow();
    })));
  }

  /** A peer of the previous version has no stream (404): the link falls back to POST. */
  @Test
  void anOlderPeerWithoutTheStream_getsTheMessagesOverPost(VertxTestContext tc) {
    List<Message> posted = new CopyOnWriteArrayList<>();
    HttpServer server = vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(0))
        .requestHandler(req -> {
          if (req.path().equals(PeerLink.POST_PATH)) {
            req.body().onSuccess(b -> {
              posted.addAll(WireCodec.decode(b.getBytes()).messages());
              req.response().setStatusCode(204).end();
              onEvent.run();
            });
          } else {
            req.response().setStatusCode(404).end();
          }
        });
    server.listen().compose(s -> {
      PeerLink link = link(s.actualPort(), FAST);
      vertx.runOnContext(v -> {
        for (int i = 0; i < 10; i++) {
          link.send(probe(i));
        }
      });
      return until(() -> posted.size() == 10 && !edges.isEmpty()).map(link);
    }).onComplete(tc.succeeding(link -> tc.verify(() -> {
      assertTrue(link.legacy());
      assertEquals(ascending(0, 10), posted.stream().map(m -> ((Message.ReadQuery) m).readRound()).toList());
      assertTrue(edges.stream().anyMatch(e -> e.reachable() && e.detail().startsWith("POST")), "" + edges);
      tc.completeNow();
    })));
  }

  // ------------------------------------------------------------------ stand-in peers

  /** A Vert.x server taking {@code /peer/stream} upgrades; completes with its port. */
  private Future<Integer> streamServer(io.vertx.core.Handler<ServerWebSocket> onStream) {
    HttpServer server = vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(0)
        .setMaxWebSocketMessageSize(64 << 20).setReceiveBufferSize(16 << 10));
    server.requestHandler(req -> req.toWebSocket().onSuccess(onStream));
    cleanups.add(server::close);
    return server.listen().map(HttpServer::actualPort);
  }

  /**
   * A raw TCP server that completes the WebSocket handshake (RFC 6455 §4.2.2) and then reads and
   * answers nothing: what a frozen process's kernel looks like from the other end.
   */
  private Future<Integer> silentWebSocketServer() {
    NetServer server = vertx.createNetServer();
    server.connectHandler(socket -> {
      Buffer head = Buffer.buffer();
      boolean[] upgraded = {false};
      socket.handler(data -> {
        if (upgraded[0]) {
          return; // frames, pings included: ignored
        }
        head.appendBuffer(data);
        String text = head.toString(StandardCharsets.ISO_8859_1);
        if (text.contains("\r\n\r\n")) {
          upgraded[0] = true;
          String key = text.lines().filter(l -> l.toLowerCase().startsWith("sec-websocket-key:"))
              .map(l -> l.substring(l.indexOf(':') + 1).trim()).findFirst().orElseThrow();
          socket.write("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
              + "Connection: Upgrade\r\nSec-WebSocket-Accept: " + accept(key) + "\r\n\r\n");
        }
      });
    });
    cleanups.add(server::close);
    return server.listen(0, "127.0.0.1").map(NetServer::actualPort);
  }

  private static String accept(String key) {
    try {
      byte[] sha1 = MessageDigest.getInstance("SHA-1").digest(
          (key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").getBytes(StandardCharsets.ISO_8859_1));
      return Base64.getEncoder().encodeToString(sha1);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  // ------------------------------------------------------------------ helpers

  /** A started link from n1 to a stand-in n2 on {@code port}, with a small socket send buffer. */
  private PeerLink link(int port, PeerLink.Settings settings) {
    WebSocketClient client = vertx.createWebSocketClient(new WebSocketClientOptions()
        .setSendBufferSize(16 << 10).setClosingTimeout(1));
    WebClient posts = WebClient.create(vertx);
    PeerLink link = new PeerLink(vertx, "n1", "n2", "http://127.0.0.1:" + port, client, posts,
        new Reachability(vertx, "https"), settings);
    vertx.runOnContext(v -> link.start());
    cleanups.add(() -> vertx.runOnContext(v -> {
      link.close();
      client.close();
      posts.close();
    }));
    return link;
  }

  /** {@code total} 1 KB proposals, {@code perTurn} per event-loop turn. */
  private Future<Void> sendInTurns(PeerLink link, int total, int perTurn) {
    Promise<Void> done = Promise.promise();
    int[] next = {0};
    Runnable[] turn = new Runnable[1];
    turn[0] = () -> {
      for (int k = 0; k < perTurn && next[0] < total; k++, next[0]++) {
        link.send(proposal(next[0]));
      }
      if (next[0] == total) {
        vertx.runOnContext(v -> done.complete()); // after the last turn's flush
      } else {
        vertx.runOnContext(v -> turn[0].run());
      }
    };
    vertx.runOnContext(v -> turn[0].run());
    return done.future();
  }

  private static Message probe(long round) {
    return new Message.ReadQuery("n1", "n2", 0, Hash.ZERO, round);
  }

  /** A Propose whose {@code length} carries its number, with a 1 KB payload. */
  private static Message proposal(long i) {
    byte[] payload = ("{\"v\":\"" + "x".repeat(1_000) + "\"}").getBytes(StandardCharsets.UTF_8);
    Entry e = Entry.create(1_700_000_000_000L + i, "n1", payload, null);
    return new Message.Propose("n1", "n2", i, Hash.ZERO, Proposal.of("n1", List.of(e)));
  }

  /** The numbers of every message in {@code frames}: readRound of a probe, length otherwise. */
  private static List<Long> rounds(List<Buffer> frames) {
    List<Long> out = new ArrayList<>();
    for (Buffer f : frames) {
      for (Message m : WireCodec.decode(f.getBytes()).messages()) {
        out.add(m instanceof Message.ReadQuery q ? q.readRound() : m.length());
      }
    }
    return out;
  }

  private static long last(List<Long> xs) {
    return xs.isEmpty() ? -1 : xs.get(xs.size() - 1);
  }

  private static List<Long> ascending(long from, int n) {
    List<Long> out = new ArrayList<>();
    for (long i = from; i < from + n; i++) {
      out.add(i);
    }
    return out;
  }

  /** Completes once {@code condition} holds: re-checked on every event and every 20 ms. */
  private Future<Void> until(BooleanSupplier condition) {
    Promise<Void> done = Promise.promise();
    long timer = vertx.setPeriodic(0, 20, id -> {
      if (condition.getAsBoolean()) {
        done.tryComplete();
      }
    });
    onEvent = () -> {
      if (condition.getAsBoolean()) {
        done.tryComplete();
      }
    };
    return done.future().andThen(ar -> {
      vertx.cancelTimer(timer);
      onEvent = () -> {};
    });
  }
}
