package raftsimple.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import raftsimple.chain.Entry;
import raftsimple.chain.Hash;
import raftsimple.core.msg.Ballot;
import raftsimple.core.msg.DurableRecord;
import raftsimple.core.msg.DurableRecord.CommitRecord;
import raftsimple.core.msg.DurableRecord.PromiseRecord;
import raftsimple.core.msg.DurableRecord.VoteRecord;
import raftsimple.core.msg.Proposal;

class RecordCodecTest {

  @Test
  void roundTrip_everyRecordType_equalAndReencodesToSameBytes() {
    for (DurableRecord r : Fixtures.everyType()) {
      byte[] bytes = RecordCodec.encode(r);
      DurableRecord back = RecordCodec.decode(bytes);
      assertEquals(r, back, "round trip of " + r);
      assertArrayEquals(bytes, RecordCodec.encode(back));
    }
  }

  @Test
  void roundTrip_keepsNullKeyUnicodeAndEmptyPayloadExactly() {
    Proposal p = Fixtures.proposal("nœud-😀");
    VoteRecord back = (VoteRecord) RecordCodec.decode(RecordCodec.encode(new VoteRecord(9, Hash.ZERO, p)));
    List<Entry> es = back.proposal().entries();
    assertNull(es.get(0).idempotencyKey());
    assertEquals("idem-ключ-🔑", es.get(1).idempotencyKey());
    assertEquals("{\"v\":\"héllo ☃ 😀\"}", new String(es.get(1).payload(), StandardCharsets.UTF_8));
    assertEquals(0, es.get(2).payload().length);
    assertEquals("", es.get(2).idempotencyKey());
    assertEquals(-5L, es.get(2).ts());
    assertEquals("nœud-😀", back.proposal().proposer());
    assertTrue(back.proposal().verify(), "decoded proposal still verifies its id and txids");
  }

  @Test
  void layout_startsWithVersionAndType_hashesRaw() {
    Hash head = Fixtures.chain(1).get(0).hash();
    byte[] b = RecordCodec.encode(new PromiseRecord(42, head, new Ballot(3, "n1")));
    ByteBuffer bb = ByteBuffer.wrap(b);
    assertEquals(1, bb.get());
    assertEquals(2, bb.get());
    assertEquals(42L, bb.getLong());
    byte[] h = new byte[32];
    bb.get(h);
    assertArrayEquals(head.toBytes(), h);
    assertEquals(3L, bb.getLong());
    assertEquals(2, bb.getShort());
    assertEquals('n', bb.get());
    assertEquals('1', bb.get());
    assertEquals(0, bb.remaining());
  }

  @Test
  void encode_refusesWhatCannotRoundTrip() {
    Hash h = Hash.ZERO;
    assertThrows(IllegalArgumentException.class,
        () -> RecordCodec.encode(new PromiseRecord(1, h, new Ballot(1, "bad\uD800"))));
    assertThrows(IllegalArgumentException.class,
        () -> RecordCodec.encode(new PromiseRecord(1, h, new Ballot(1, "x".repeat(65536)))));
    assertThrows(IllegalArgumentException.class,
        () -> RecordCodec.encode(new PromiseRecord(-1, h, new Ballot(1, "n1"))));
    assertThrows(IllegalArgumentException.class,
        () -> RecordCodec.encode(new PromiseRecord(1, null, new Ballot(1, "n1"))));
    assertThrows(IllegalArgumentException.class, () -> RecordCodec.encode(new VoteRecord(1, h, null)));
    assertThrows(IllegalArgumentException.class, () -> RecordCodec.encode(null));
    // 65535 bytes is the limit, and it still round-trips.
    PromiseRecord max = new PromiseRecord(1, h, new Ballot(1, "é".repeat(65535 / 2)));
    assertEquals(max, RecordCodec.decode(RecordCodec.encode(max)));
  }

  @Test
  void decode_namesTheProblem() {
    byte[] promise = RecordCodec.encode(new PromiseRecord(1, Hash.ZERO, new Ballot(1, "n1")));
    assertCorrupt(new byte[0], "format version needs 1 bytes");
    assertCorrupt(with(promise, 0, 2), "unsupported format version 2");
    assertCorrupt(with(promise, 1, 9), "unknown record type 9");
    assertCorrupt(Arrays.copyOf(promise, promise.length + 1), "1 trailing bytes");
    assertCorrupt(Arrays.copyOf(promise, 20), "head (32-byte hash) needs 32 bytes");
    // ballot round lives at offset 2 + 8 + 32
    byte[] round0 = promise.clone();
    ByteBuffer.wrap(round0).putLong(42, 0);
    assertCorrupt(round0, "ballot round 0 is below 1");
    byte[] negLength = promise.clone();
    ByteBuffer.wrap(negLength).putLong(2, -1);
    assertCorrupt(negLength, "instance length -1 is negative");
    byte[] longName = promise.clone();
    ByteBuffer.wrap(longName).putShort(50, (short) 3);
    assertCorrupt(longName, "ballot node length 3 exceeds");
    byte[] badUtf8 = promise.clone();
    badUtf8[52] = (byte) 0xC3; // a lead byte followed by '1', not a continuation byte
    assertCorrupt(badUtf8, "not well-formed UTF-8");
  }

  @Test
  void decode_listsAndMarkers() {
    byte[] commit = RecordCodec.encode(new CommitRecord(Fixtures.chain(1)));
    byte[] zero = commit.clone();
    ByteBuffer.wrap(zero).putInt(2, 0);
    assertCorrupt(zero, "commit entry count is 0");
    byte[] huge = commit.clone();
    ByteBuffer.wrap(huge).putInt(2, -1); // 4294967295 entries: must not allocate
    assertCorrupt(huge, "commit entry count 4294967295 cannot fit");
    byte[] index0 = commit.clone();
    ByteBuffer.wrap(index0).putLong(6, 0);
    assertCorrupt(index0, "log index 0 is below 1");
    byte[] marker = commit.clone();
    marker[marker.length - 1 - 2 - "key-1".length()] = 7;
    assertCorrupt(marker, "idempotency key null marker is 7");
    byte[] payloadLen = commit.clone();
    // entry: index 8, prev 32, hash 32, txid 32, origin "n1" (2+2), ts 8, then payload length
    ByteBuffer.wrap(payloadLen).putInt(2 + 4 + 8 + 32 + 32 + 32 + 4 + 8, Integer.MAX_VALUE);
    assertCorrupt(payloadLen, "payload length 2147483647 exceeds");
  }

  @Test
  void fuzz_randomBytes_decodeOrCorruptOnly() {
    SplittableRandom rnd = new SplittableRandom(20240601L);
    for (int i = 0; i < 50_000; i++) {
      byte[] b = new byte[rnd.nextInt(200)];
      rnd.nextBytes(b);
      if (b.length >= 2 && rnd.nextBoolean()) {
        b[0] = 1; // get past the version check so the body parsers are exercised
        b[1] = (byte) (1 + rnd.nextInt(4));
      }
      decodeOrCorrupt(b, "random #" + i);
    }
  }

  @Test
  void fuzz_truncationsAndByteFlips_decodeOrCorruptOnly() {
    SplittableRandom rnd = new SplittableRandom(7L);
    int succeeded = 0;
    for (DurableRecord r : Fixtures.everyType()) {
      byte[] valid = RecordCodec.encode(r);
      for (int len = 0; len < valid.length; len++) {
        byte[] cut = Arrays.copyOf(valid, len);
        assertThrows(CorruptRecordException.class, () -> RecordCodec.decode(cut), "prefix " + len);
      }
      for (int pos = 0; pos < valid.length; pos++) {
        for (int k = 0; k < 3; k++) {
          byte[] flipped = valid.clone();
          flipped[pos] ^= (byte) (k == 0 ? 0xFF : 1 + rnd.nextInt(255));
          succeeded += decodeOrCorrupt(flipped, r + " flip at " + pos) ? 1 : 0;
        }
      }
    }
    // Flips inside hashes, timestamps and payload bytes are undetectable by the codec (the CRC and
    // the chain verifier catch them), so plenty must decode; this guards against a codec that
    // rejects everything.
    assertTrue(succeeded > 1000, "only " + succeeded + " flipped encodings decoded");
  }

  /** WAL replay decodes straight out of its read buffer: a record amid other bytes. */
  @Test
  void decodeInPlace_readsTheRecordAmidOtherBytes_andCountsOffsetsFromItsStart() {
    for (DurableRecord r : Fixtures.everyType()) {
      byte[] bytes = RecordCodec.encode(r);
      byte[] buf = new byte[bytes.length + 20];
      Arrays.fill(buf, (byte) 0x7F);
      System.arraycopy(bytes, 0, buf, 13, bytes.length);
      assertEquals(r, RecordCodec.decode(buf, 13, bytes.length), "in place: " + r);
    }
    byte[] promise = RecordCodec.encode(new PromiseRecord(42, Hash.ZERO, new Ballot(3, "n1")));
    byte[] buf = new byte[promise.length + 9];
    System.arraycopy(promise, 0, buf, 9, promise.length);
    buf[9 + 2] = (byte) 0x80; // instance length negative
    CorruptRecordException e = assertThrows(CorruptRecordException.class,
        () -> RecordCodec.decode(buf, 9, promise.length));
    assertTrue(e.getMessage().contains("(" + promise.length + " bytes) at offset 2:"), e.getMessage());
    // The record ends where the caller says, not where the buffer does: a cut record is refused.
    assertThrows(CorruptRecordException.class, () -> RecordCodec.decode(buf, 9, promise.length - 1));
    assertThrows(IllegalArgumentException.class, () -> RecordCodec.decode(buf, 9, promise.length + 1));
  }

  @Test
  void proposalRecordInstance_namesTheInstanceOfVotesAndAcceptsOnly() {
    Proposal p = Fixtures.proposal("n2");
    Hash head = Fixtures.chain(1).get(0).hash();
    byte[] vote = RecordCodec.encode(new VoteRecord(77, head, p));
    byte[] accept = RecordCodec.encode(new DurableRecord.AcceptRecord(78, head, new Ballot(2, "n1"), p));
    assertEquals(77, RecordCodec.proposalRecordInstance(vote, 0, vote.length));
    assertEquals(78, RecordCodec.proposalRecordInstance(accept, 0, accept.length));
    for (DurableRecord r : Fixtures.everyType()) {
      byte[] b = RecordCodec.encode(r);
      if (!(r instanceof VoteRecord) && !(r instanceof DurableRecord.AcceptRecord)) {
        assertEquals(-1, RecordCodec.proposalRecordInstance(b, 0, b.length), "not a proposal record: " + r);
      }
    }
    assertEquals(-1, RecordCodec.proposalRecordInstance(vote, 0, 20), "too short to tell");
    assertEquals(-1, RecordCodec.proposalRecordInstance(with(vote, 0, 2), 0, vote.length),
        "another format version");
  }

  /** Decode must succeed (and then re-encode to the same bytes) or throw CorruptRecordException. */
  private static boolean decodeOrCorrupt(byte[] b, String what) {
    DurableRecord r;
    try {
      r = RecordCodec.decode(b);
    } catch (CorruptRecordException expected) {
      return false;
    } catch (RuntimeException | Error e) {
      fail(what + ": decode threw " + e, e);
      return false;
    }
    assertArrayEquals(b, RecordCodec.encode(r), what + ": decoded but did not re-encode identically");
    return true;
  }

  private static byte[] with(byte[] b, int pos, int value) {
    byte[] c = b.clone();
    c[pos] = (byte) value;
    return c;
  }

  private static void assertCorrupt(byte[] b, String fragment) {
    CorruptRecordException e = assertThrows(CorruptRecordException.class, () -> RecordCodec.decode(b));
    assertTrue(e.getMessage().contains(fragment), "message '" + e.getMessage() + "' lacks '" + fragment + "'");
  }
}
