package raftsimple.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import raftsimple.chain.Entry;
import raftsimple.chain.Hash;
import raftsimple.chain.LogEntry;
import raftsimple.core.msg.Ballot;
import raftsimple.core.msg.Message;
import raftsimple.core.msg.Proposal;

class WireCodecTest {
  private static final Entry A = Entry.create(5, "n1", "{\"op\":\"put\",\"key\":\"é\",\"value\":[1,2]}"
      .getBytes(StandardCharsets.UTF_8), "key-1");
  private static final Entry B = Entry.create(6, "n1", "null".getBytes(StandardCharsets.UTF_8), null);
  private static final Proposal P = Proposal.of("n1", List.of(A, B));
  private static final Hash H = Hash.ZERO;

  static List<Message> everyType() {
    Ballot b = new Ballot(3, "n2");
    LogEntry e1 = LogEntry.chain(1, H, A);
    LogEntry e2 = LogEntry.chain(2, e1.hash(), B);
    return List.of(
        new Message.Propose("n1", "n2", 0, H, P),
        new Message.Vote("n1", "n2", 0, H, P.id(), false, P.id(), "n1", false),
        new Message.Vote("n1", "n2", 0, H, P.id(), false, null, null, true),
        new Message.Vote("n1", "n2", 0, H, P.id(), true, null, null, false),
        new Message.Commit("n1", "n2", 0, H, P.id()),
        new Message.Prepare("n1", "n2", 0, H, b),
        new Message.Promise("n1", "n2", 0, H, b, true, null, P, b, P, false),
        new Message.Promise("n1", "n2", 0, H, b, true, null, P, null, null, true),
        new Message.Promise("n1", "n2", 0, H, b, false, new Ballot(4, "n3"), null, null, null, false),
        new Message.Accept("n1", "n2", 0, H, b, P),
        new Message.Accepted("n1", "n2", 0, H, b, true, null),
        new Message.Status("n1", "n2", 2, e2.hash(), true),
        new Message.Fetch("n1", "n2", 0, H, 1, 100),
        new Message.FetchReply("n1", "n2", 2, e2.hash(), 1, List.of(List.of(e1), List.of(e2)), 0),
        new Message.FetchReply("n1", "n2", 2, e2.hash(), 1, List.of(), 2),
        new Message.SnapshotRead("n1", "n2", 0, H, 2, 0, 1 << 20),
        new Message.Forward("n1", "n2", 0, H, List.of(A, B)),
        new Message.SnapshotData("n1", "n2", 2, e2.hash(), 2, 0, 3, new byte[] {1, 2, 3}),
        new Message.ReadQuery("n1", "n2", 0, H, 77),
        new Message.ReadReply("n1", "n2", 0, H, 77, false));
  }

  @Test
  void everyMessageTypeRoundTrips() {
    List<Message> all = everyType();
    WireCodec.Envelope env = WireCodec.decode(WireCodec.encode("n1", all));
    assertEquals("n1", env.from());
    assertEquals(all, env.messages());
  }

  /** A link encodes messages one by one when queued and joins them later: the same bytes. */
  @Test
  void preEncodedMessagesMakeTheSameEnvelope() {
    List<Message> all = everyType();
    List<byte[]> one = all.stream().map(WireCodec::encodeMessage).toList();
    assertEquals(new String(WireCodec.encode("n1", all), StandardCharsets.UTF_8),
        new String(WireCodec.envelope("n1", one), StandardCharsets.UTF_8));
    assertEquals(new String(WireCodec.encode("n2", List.of()), StandardCharsets.UTF_8),
        new String(WireCodec.envelope("n2", List.of()), StandardCharsets.UTF_8));
    assertEquals(all.subList(0, 1), WireCodec.decode(WireCodec.envelope("n1", one.subList(0, 1))).messages());
  }

  @Test
  void tamperedPayloadIsRefused() {
    String json = new String(WireCodec.encode("n1", List.of(new Message.Propose("n1", "n2", 0, H, P))),
        StandardCharsets.UTF_8);
    String other = java.util.Base64.getEncoder().encodeToString("1".getBytes(StandardCharsets.UTF_8));
    String forged = json.replaceFirst("\"payload\":\"[^\"]+\"", "\"payload\":\"" + other + "\"");
    WireFormatException e = assertThrows(WireFormatException.class,
        () -> WireCodec.decode(forged.getBytes(StandardCharsets.UTF_8)));
    assertTrue(e.getMessage().contains("txid does not match"), e.getMessage());
  }

  @Test
  void senderMustMatchTheEnvelope() {
    byte[] bytes = WireCodec.encode("n3", List.of(new Message.Status("n1", "n2", 0, H, false)));
    assertThrows(WireFormatException.class, () -> WireCodec.decode(bytes));
  }

  @Test
  void garbageNeverEscapesAsAnotherException() {
    byte[] valid = WireCodec.encode("n1", everyType());
    SplittableRandom r = new SplittableRandom(7);
    for (int i = 0; i < 2_000; i++) {
      byte[] b = valid.clone();
      int flips = 1 + r.nextInt(4);
      for (int f = 0; f < flips; f++) {
        b[r.nextInt(b.length)] = (byte) r.nextInt(256);
      }
      try {
        WireCodec.decode(b);
      } catch (WireFormatException expected) {
        // the only failure a peer's bytes may cause
      }
    }
    assertThrows(WireFormatException.class, () -> WireCodec.decode(new byte[0]));
    assertThrows(WireFormatException.class, () -> WireCodec.decode("{\"v\":99}".getBytes(StandardCharsets.UTF_8)));
  }
}
