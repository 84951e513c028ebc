package raftsimple.transport.eventbus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import raftsimple.chain.Hash;
import raftsimple.core.msg.Message;
import raftsimple.transport.WireCodec;

class InboundTest {
  private static final String CLUSTER = "0123456789abcdef";
  private final Inbound inbound = new Inbound("n2", CLUSTER, Set.of("n1", "n3"));

  private static Message probe(String from, String to) {
    return new Message.ReadQuery(from, to, 0, Hash.ZERO, 7);
  }

  private static Buffer envelope(String from, Message... ms) {
    return Buffer.buffer(WireCodec.encode(from, List.of(ms)));
  }

  @Test
  void anEnvelopeFromAPeer_yieldsTheMessagesAddressedToThisNode() {
    Inbound.Verdict v = inbound.judge(CLUSTER, envelope("n1", probe("n1", "n2"), probe("n1", "n3")));
    assertNull(v.refusal());
    assertEquals("n1", v.from());
    assertEquals(List.of(probe("n1", "n2")), v.messages(), "n3's message is not ours to deliver");
  }

  @Test
  void anotherClustersHeader_isRefusedBeforeTheBodyIsRead() {
    assertEquals(Inbound.Refusal.WRONG_CLUSTER,
        inbound.judge("fedcba9876543210", envelope("n1", probe("n1", "n2"))).refusal());
    assertEquals(Inbound.Refusal.WRONG_CLUSTER,
        inbound.judge(null, envelope("n1", probe("n1", "n2"))).refusal());
  }

  @Test
  void aBodyThatIsNotAnEnvelope_isMalformed() {
    assertEquals(Inbound.Refusal.MALFORMED, inbound.judge(CLUSTER, "a string").refusal());
    assertEquals(Inbound.Refusal.MALFORMED, inbound.judge(CLUSTER, null).refusal());
    assertEquals(Inbound.Refusal.MALFORMED, inbound.judge(CLUSTER, new JsonObject()).refusal());
    assertEquals(Inbound.Refusal.MALFORMED, inbound.judge(CLUSTER, Buffer.buffer("[1,2")).refusal());
    assertEquals(Inbound.Refusal.MALFORMED, inbound.judge(CLUSTER, Buffer.buffer(
        "{\"v\":99,\"from\":\"n1\",\"messages\":[]}")).refusal());
  }

  @Test
  void aSenderThatIsNotAPeer_isRefused_andNamed() {
    Inbound.Verdict self = inbound.judge(CLUSTER, envelope("n2", probe("n2", "n2")));
    assertEquals(Inbound.Refusal.UNKNOWN_SENDER, self.refusal());
    Inbound.Verdict stranger = inbound.judge(CLUSTER, envelope("n9", probe("n9", "n2")));
    assertEquals(Inbound.Refusal.UNKNOWN_SENDER, stranger.refusal());
    assertEquals("n9", stranger.from());
    assertEquals(List.of(), stranger.messages());
  }
}
