package raftsimple.chain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Hash vectors. The expected values were computed outside Java, with coreutils and Python, from the
 * byte layouts in docs/PROTOCOL.md §2 (the same commands are printed there):
 * <pre>
 *   printf '%s\n%s\n%s' 1700000000000 n1 '{"op":"put","key":"a","value":1}' | sha256sum
 *   python3 -c "import hashlib; print(hashlib.sha256(bytes(32)+bytes.fromhex(TXID)).hexdigest())"
 * </pre>
 */
class HashingTest {
  private static final byte[] PAYLOAD =
      "{\"op\":\"put\",\"key\":\"a\",\"value\":1}".getBytes(StandardCharsets.UTF_8);
  private static final String TXID = "2ae22889d027fe65d2ce942b84ee3ea2e9f698e3681170f0e36b408e0db08c6b";
  private static final String HASH1 = "ea8625fe6379ffadf7f1ac73105b8755d1fee18bafc560eb74a713cd079152d0";

  @Test
  void txidMatchesTheDocumentedVector() {
    assertEquals(TXID, Hashing.txid(1_700_000_000_000L, "n1", PAYLOAD).hex());
  }

  @Test
  void firstChainHashMatchesTheDocumentedVector() {
    assertEquals(HASH1, Hashing.chain(Hash.ZERO, Hash.parse(TXID)).hex());
  }

  @Test
  void txidIsRecomputableWithAPlainDigest() throws Exception {
    MessageDigest md = MessageDigest.getInstance("SHA-256");
    md.update("42\nnode-7\n".getBytes(StandardCharsets.US_ASCII));
    md.update("\"hello\"".getBytes(StandardCharsets.UTF_8));
    String expect = HexFormat.of().formatHex(md.digest());
    assertEquals(expect, Hashing.txid(42, "node-7", "\"hello\"".getBytes(StandardCharsets.UTF_8)).hex());
  }

  @Test
  void everyInputChangesTheTxid() {
    Hash base = Hashing.txid(1, "n1", PAYLOAD);
    assertNotEquals(base, Hashing.txid(2, "n1", PAYLOAD));
    assertNotEquals(base, Hashing.txid(1, "n2", PAYLOAD));
    assertNotEquals(base, Hashing.txid(1, "n1", "{}".getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  void chainVerifierAcceptsAValidChainAndNamesTheFirstBreak() {
    Entry a = Entry.create(1, "n1", PAYLOAD, null);
    Entry b = Entry.create(2, "n2", PAYLOAD, "k");
    LogEntry e1 = LogEntry.chain(1, Hash.ZERO, a);
    LogEntry e2 = LogEntry.chain(2, e1.hash(), b);
    assertNull(ChainVerifier.firstProblem(0, Hash.ZERO, List.of(e1, e2)));
    LogEntry forged = new LogEntry(2, e1.hash(), e1.hash(), b);
    assertTrue(ChainVerifier.firstProblem(0, Hash.ZERO, List.of(e1, forged)).contains("entry 2"));
    LogEntry gap = LogEntry.chain(3, e1.hash(), b);
    assertTrue(ChainVerifier.firstProblem(0, Hash.ZERO, List.of(e1, gap)).contains("expected index 2"));
    Entry tampered = new Entry(a.txid(), "n1", 1, "{}".getBytes(StandardCharsets.UTF_8), null);
    assertTrue(ChainVerifier.firstProblem(0, Hash.ZERO, List.of(LogEntry.chain(1, Hash.ZERO, tampered)))
        .contains("txid does not match"));
  }

  @Test
  void hashParsingRejectsBadInput() {
    assertThrows(IllegalArgumentException.class, () -> Hash.parse("abc"));
    assertThrows(IllegalArgumentException.class, () -> Hash.parse(TXID.toUpperCase()));
    assertEquals(TXID, Hash.parse(TXID).hex());
    assertEquals(64, Hash.ZERO.hex().length());
  }
}
