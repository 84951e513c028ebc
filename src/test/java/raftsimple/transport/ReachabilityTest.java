package raftsimple.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import raftsimple.bus.Addresses;
import raftsimple.bus.BusApi.PeerReachability;
import raftsimple.bus.BusApi.PeerReachability.Reason;
import raftsimple.bus.LocalCodec;

/** {@link Reachability} publishes edges, not observations, and holds a reversal for the window. */
@ExtendWith(VertxExtension.class)
@Timeout(value = 10, timeUnit = TimeUnit.SECONDS)
class ReachabilityTest {
  private final List<PeerReachability> published = new CopyOnWriteArrayList<>();
  private Vertx vertx;

  @BeforeEach
  void listen(Vertx vertx, VertxTestContext tc) {
    this.vertx = vertx;
    LocalCodec.registerAll(vertx.eventBus());
    vertx.eventBus().<PeerReachability>localConsumer(Addresses.PEER_REACHABILITY,
        m -> published.add(m.body())).completion().onComplete(tc.succeedingThenComplete());
  }

  @Test
  void repeatedObservations_publishOneEdge(VertxTestContext tc) {
    Reachability r = new Reachability(vertx, "test");
    vertx.runOnContext(v -> {
      for (int i = 0; i < 50; i++) {
        r.down("n2", i % 2 == 0 ? Reason.REFUSED : Reason.TIMEOUT, "attempt " + i);
      }
      // A fence behind the 50 observations' publishes: what was published has arrived.
      vertx.runOnContext(x -> tc.verify(() -> {
        assertEquals(1, published.size(), "" + published);
        assertEquals(false, published.get(0).reachable());
        assertEquals(Reason.REFUSED, published.get(0).reason());
        assertEquals(1, r.published());
        tc.completeNow();
      }));
    });
  }

  /** Up, then down and up again within the hold window: the blip is never published. */
  @Test
  void aReversalUndoneWithinTheWindow_isNotPublished(VertxTestContext tc) {
    Reachability r = new Reachability(vertx, "test");
    vertx.runOnContext(v -> {
      r.up("n2", Reason.CONNECTED, "");
      r.down("n2", Reason.CLOSED, "blip");
      boolean heldTheBlip = r.holding("n2");
      r.up("n2", Reason.CONNECTED, "");
      r.down("n3", Reason.REFUSED, "");
      vertx.runOnContext(x -> tc.verify(() -> {
        assertEquals(true, heldTheBlip, "the reversal inside the window is held");
        assertEquals(false, r.holding("n2"), "and dropped when the state came back");
        assertEquals(List.of("n2 true", "n3 false"),
            published.stream().map(e -> e.peerId() + " " + e.reachable()).toList());
        tc.completeNow();
      }));
    });
  }

  /** A reversal inside the window that still holds when it ends is published then, once. */
  @Test
  void aReversalThatLasts_isPublishedWhenTheWindowEnds(VertxTestContext tc) {
    Reachability r = new Reachability(vertx, "test");
    Promise<Void> two = Promise.promise();
    vertx.eventBus().<PeerReachability>localConsumer(Addresses.PEER_REACHABILITY, m -> {
      if (published.size() == 2) {
        two.tryComplete();
      }
    });
    long[] upAt = new long[1];
    vertx.runOnContext(v -> {
      r.up("n2", Reason.CONNECTED, "");
      upAt[0] = System.nanoTime();
      r.down("n2", Reason.CLOSED, "first");
      r.down("n2", Reason.NO_PONG, "newest");
    });
    two.future().onComplete(tc.succeeding(v -> tc.verify(() -> {
      long heldMs = (System.nanoTime() - upAt[0]) / 1_000_000;
      assertEquals(false, published.get(1).reachable());
      assertEquals(Reason.NO_PONG, published.get(1).reason(), "the newest observation wins");
      assertEquals(true, heldMs >= Reachability.HOLD_MS - 5, "held " + heldMs + " ms");
      tc.completeNow();
    })));
  }
}
