package raftsimple.ingress;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ServerWebSocket;
import java.lang.System.Logger.Level;
import raftsimple.bus.Addresses;
import raftsimple.bus.BusApi.PeerHttpBody;

/**
 * One peer's inbound stream ({@code GET /peer/stream}, upgraded by {@link PeerRoute} once the
 * peer's certificate names the node it claims to be): each binary WebSocket message is one wire
 * envelope, handed to the transport on {@link Addresses#PEER_HTTP_INBOUND} exactly like a {@code
 * POST /peer/messages} body, in arrival order (docs/TRANSPORTS.md §2).
 *
 * <p>Back-pressure: at most {@value #WINDOW_FRAMES} frames or {@value #WINDOW_BYTES} bytes wait
 * for the transport's answer; beyond, the stream is paused, so TCP pushes back on the sender,
 * whose queue is bounded (it drops the oldest). A refused frame (the transport answers 4xx:
 * malformed, not a peer, a certificate of another node) closes the stream with 1008 and the
 * status; a frame nobody could take (no transport deployed, timeout) closes it with 1011. The
 * sender sees the close, reports the peer unreachable and reconnects with backoff. Confined to
 * the ingress's event loop.
 */
final class PeerStream {
  private static final System.Logger LOG = System.getLogger(PeerStream.class.getName());
  static final int WINDOW_FRAMES = 64;
  static final long WINDOW_BYTES = 16L << 20;

  private final ServerWebSocket ws;
  private final String from;
  private final String subject;
  private final Bus bus;
  private final long timeoutMs;
  private int inFlight;
  private long inFlightBytes;
  private boolean paused;
  private boolean closing;

  PeerStream(ServerWebSocket ws, String from, String subject, Bus bus, long timeoutMs) {
    this.ws = ws;
    this.from = from;
    this.subject = subject;
    this.bus = bus;
    this.timeoutMs = timeoutMs;
  }

  void start() {
    ws.binaryMessageHandler(this::onFrame);
    ws.textMessageHandler(t -> close((short) 1003, "a peer stream carries binary envelopes only"));
    // The server's graceful shutdown would otherwise wait its whole grace period for this stream.
    ws.shutdownHandler(v -> close((short) 1001, "node stopping"));
    ws.exceptionHandler(e -> LOG.log(Level.DEBUG, "peer stream from {0}: {1}", from, e));
  }

  private void onFrame(Buffer frame) {
    if (closing) {
      return;
    }
    int size = frame.length();
    inFlight++;
    inFlightBytes += size;
    if (!paused && (inFlight >= WINDOW_FRAMES || inFlightBytes >= WINDOW_BYTES)) {
      paused = true;
      ws.pause();
    }
    bus.request(Addresses.PEER_HTTP_INBOUND, new PeerHttpBody(frame, subject), timeoutMs, Integer.class)
        .onComplete(ar -> {
          inFlight--;
          inFlightBytes -= size;
          if (paused && inFlight < WINDOW_FRAMES / 2 && inFlightBytes < WINDOW_BYTES / 2) {
            paused = false;
            ws.resume();
          }
          if (ar.failed()) {
            close((short) 1011, "peer messages cannot be taken now: " + ar.cause().getMessage());
          } else if (ar.result() == 421) {
            close((short) 1008, "peer messages refused: 421, this node runs another transport");
          } else if (ar.result() >= 400) {
            close((short) 1008, "peer messages refused: " + ar.result());
          }
        });
  }

  private void close(short code, String reason) {
    if (closing) {
      return;
    }
    closing = true;
    if (code != 1001) {
      LOG.log(Level.WARNING, "closing the peer stream from {0} ({1}): {2}", from, code, reason);
    }
    // A close reason must fit a control frame (125 bytes, 2 for the code).
    String text = reason.length() > 120 ? reason.substring(0, 120) : reason;
    ws.close(code, text);
  }
}
