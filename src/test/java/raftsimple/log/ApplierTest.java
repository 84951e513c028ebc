package raftsimple.log;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import raftsimple.bus.Addresses;
import raftsimple.bus.BusApi;
import raftsimple.bus.LocalCodec;
import raftsimple.chain.Entry;
import raftsimple.chain.Hash;
import raftsimple.chain.LogEntry;

@ExtendWith(VertxExtension.class)
class ApplierTest {
  private long ts = 1_700_000_000_000L;
  private Hash prev = Hash.ZERO;
  private long index;

  private List<LogEntry> next(int n) {
    List<LogEntry> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      Entry e = Entry.create(++ts, "n1", "{}".getBytes(StandardCharsets.UTF_8), null);
      LogEntry le = LogEntry.chain(++index, prev, e);
      prev = le.hash();
      out.add(le);
    }
    return out;
  }

  /**
   * Entries replayed at start go to the state machine flagged as replayed — all of them, from the
   * first batch on — and yield no outcomes; entries committed after them are never in the same
   * batch and have their outcomes delivered as usual.
   */
  @Test
  void replayedEntries_goInBatchesOfTheirOwn_withoutOutcomes(Vertx vertx, VertxTestContext ctx) {
    LocalCodec.registerAll(vertx.eventBus());
    List<BusApi.ApplyBatch> seen = new ArrayList<>();
    vertx.eventBus().<BusApi.ApplyBatch>localConsumer(Addresses.SM_APPLY, m -> {
      BusApi.ApplyBatch b = m.body();
      seen.add(b);
      List<BusApi.Outcome> outcomes = new ArrayList<>();
      for (LogEntry e : b.entries()) {
        outcomes.add(new BusApi.Outcome(e.txid(), e.index(), e.hash(), true, null, null));
      }
      long last = b.entries().get(b.entries().size() - 1).index();
      m.reply(new BusApi.ApplyResults(b.replayed() ? List.of() : outcomes, last));
    });
    List<Long> outcomesFor = new ArrayList<>();
    vertx.runOnContext(v -> {
      Applier applier = new Applier(vertx.eventBus(), (e, o) -> outcomesFor.add(e.index()));
      applier.replayed(next(3));
      applier.replayed(next(5_000));
      applier.committed(next(4));
      applier.whenIdle(() -> ctx.verify(() -> {
        long replayedEntries = 0;
        for (BusApi.ApplyBatch b : seen) {
          boolean allBelow = b.entries().stream().allMatch(e -> e.index() <= 5_003);
          boolean allAbove = b.entries().stream().allMatch(e -> e.index() > 5_003);
          assertTrue(allBelow || allAbove, "a batch mixes replayed and new entries");
          assertEquals(allBelow, b.replayed(), "batch starting at " + b.entries().get(0).index());
          replayedEntries += b.replayed() ? b.entries().size() : 0;
        }
        assertEquals(5_003, replayedEntries);
        assertEquals(List.of(5_004L, 5_005L, 5_006L, 5_007L), outcomesFor);
        assertEquals(5_007, applier.appliedIndex());
        ctx.completeNow();
      }));
    });
  }
}
