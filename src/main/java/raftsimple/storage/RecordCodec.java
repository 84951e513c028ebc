package raftsimple.storage;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import raftsimple.chain.Entry;
import raftsimple.chain.Hash;
import raftsimple.chain.LogEntry;
import raftsimple.core.msg.Ballot;
import raftsimple.core.msg.Membership;
import raftsimple.core.msg.DurableRecord;
import raftsimple.core.msg.DurableRecord.ConfigRecord;
import raftsimple.core.msg.DurableRecord.AcceptRecord;
import raftsimple.core.msg.DurableRecord.CommitRecord;
import raftsimple.core.msg.DurableRecord.PromiseRecord;
import raftsimple.core.msg.DurableRecord.VoteRecord;
import raftsimple.core.msg.Proposal;

/**
 * The binary form of a {@link DurableRecord} inside one WAL frame (the frame adds length and CRC,
 * see {@link Wal}). Pure functions, no I/O, safe from any thread.
 *
 * <p>Layout, format version 1. Integers are big-endian and fixed width; {@code i64} is signed,
 * {@code u16}/{@code u32} unsigned:
 *
 * <pre>
 * record   := version:u8 (=1)  type:u8  body         -- nothing may follow the body
 *   type 1 VOTE     body := length:i64 (&ge;0)  head:hash  proposal
 *   type 2 PROMISE  body := length:i64 (&ge;0)  head:hash  ballot
 *   type 3 ACCEPT   body := length:i64 (&ge;0)  head:hash  ballot  proposal
 *   type 4 COMMIT   body := count:u32 (&ge;1)  logEntry{count}
 *   type 5 CONFIG   body := version:i64 (&ge;0)  count:u32  member{count}
 * member   := id:str  url:str  role:u8 (0 voter, 1 learner, 2 read-only)
 * proposal := id:hash  proposer:str  count:u32 (&ge;1)  entry{count}
 * ballot   := round:i64 (&ge;1)  node:str
 * logEntry := index:i64 (&ge;1)  prev:hash  hash:hash  entry
 * entry    := txid:hash  origin:str  ts:i64  payload:bytes  idempotencyKey:optstr
 * hash     := 32 raw bytes
 * str      := len:u16  well-formed UTF-8{len}
 * bytes    := len:u32  raw{len}
 * optstr   := 0x00 (null)  |  0x01 str
 * </pre>
 *
 * <p>Invariant: {@code decode(encode(r))} equals {@code r} field by field, and {@code decode} of any
 * byte array either returns a record that re-encodes to exactly those bytes or throws {@link
 * CorruptRecordException} — never another exception, never an allocation larger than the input, never
 * an unbounded loop (every count is checked against the bytes that remain before anything is
 * allocated). The codec checks structure only; whether hashes match content (txids, chain, proposal
 * ids) is {@code chain.ChainVerifier}'s and {@link Proposal#verify}'s job at replay, because
 * SHA-256 per entry would dominate decoding time.
 *
 * <p>A new layout gets a new version byte; old versions stay decodable so an upgraded node can replay
 * an old log.
 */
public final class RecordCodec {
  private RecordCodec() {}

  public static final int FORMAT_VERSION = 1;
  static final int TYPE_VOTE = 1;
  static final int TYPE_PROMISE = 2;
  static final int TYPE_ACCEPT = 3;
  static final int TYPE_COMMIT = 4;
  static final int TYPE_CONFIG = 5;
  static final int TYPE_CLOCK = 6;

  /** Smallest encodings, used to bound counts against the remaining bytes before allocating. */
  private static final int ENTRY_MIN_BYTES = Hash.BYTES + 2 + 8 + 4 + 1;

  private static final int LOG_ENTRY_MIN_BYTES = 8 + 2 * Hash.BYTES + ENTRY_MIN_BYTES;
  private static final int STR_MAX_BYTES = 0xFFFF;

  // ---------------------------------------------------------------- encode

  /**
   * Encodes {@code r}. Throws {@link IllegalArgumentException} for values the layout cannot carry
   * exactly: a null required field, a string longer than 65535 UTF-8 bytes or with an unpaired
   * surrogate (UTF-8 would replace it with '?', so replay would differ from memory), a negative
   * length.
   */
  public static byte[] encode(DurableRecord r) {
    require(r != null, "record is null");
    ByteBuffer out = ByteBuffer.allocate(2 + bodySize(r));
    out.put((byte) FORMAT_VERSION);
    if (r instanceof VoteRecord v) {
      out.put((byte) TYPE_VOTE);
      putInstance(out, v.length(), v.head());
      putProposal(out, v.proposal());
    } else if (r instanceof PromiseRecord p) {
      out.put((byte) TYPE_PROMISE);
      putInstance(out, p.length(), p.head());
      putBallot(out, p.ballot());
    } else if (r instanceof AcceptRecord a) {
      out.put((byte) TYPE_ACCEPT);
      putInstance(out, a.length(), a.head());
      putBallot(out, a.ballot());
      putProposal(out, a.value());
    } else if (r instanceof DurableRecord.ClockRecord k) {
      out.put((byte) TYPE_CLOCK);
      out.putLong(k.ts());
    } else if (r instanceof ConfigRecord c) {
      out.put((byte) TYPE_CONFIG);
      out.putLong(c.membership().version());
      out.putInt(c.membership().members().size());
      for (Membership.Member m : c.membership().members().values()) {
        putStr(out, m.id());
        putStr(out, m.url());
        out.put((byte) m.role().ordinal());
      }
    } else {
      CommitRecord c = (CommitRecord) r;
      out.put((byte) TYPE_COMMIT);
      out.putInt(c.entries().size());
      for (LogEntry le : c.entries()) {
        putLogEntry(out, le);
      }
    }
    // bodySize and the put* methods must agree; a mismatch is a bug here, not bad input.
    if (out.hasRemaining()) {
      throw new IllegalStateException("RecordCodec size mismatch: " + out.remaining() + " bytes left");
    }
    return out.array();
  }

  /** Exact encoded size after the two leading bytes; also validates every field. */
  private static int bodySize(DurableRecord r) {
    long n;
    if (r instanceof VoteRecord v) {
      n = instanceSize(v.length(), v.head()) + proposalSize(v.proposal());
    } else if (r instanceof PromiseRecord p) {
      n = instanceSize(p.length(), p.head()) + ballotSize(p.ballot());
    } else if (r instanceof AcceptRecord a) {
      n = instanceSize(a.length(), a.head()) + ballotSize(a.ballot()) + proposalSize(a.value());
    } else if (r instanceof DurableRecord.ClockRecord k) {
      require(k.ts() >= 0, "negative clock timestamp");
      n = 8;
    } else if (r instanceof ConfigRecord c) {
      require(c.membership() != null && c.membership().version() >= 0, "bad membership");
      n = 8 + 4;
      for (Membership.Member m : c.membership().members().values()) {
        n += strSize(m.id()) + strSize(m.url()) + 1;
      }
    } else {
      n = 4;
      for (LogEntry le : ((CommitRecord) r).entries()) {
        n += 8 + 2L * Hash.BYTES + entrySize(le.entry());
      }
    }
    require(n <= Integer.MAX_VALUE - 16, "record too large: " + n + " bytes");
    return (int) n;
  }

  private static long instanceSize(long length, Hash head) {
    require(length >= 0, "instance length is negative: " + length);
    require(head != null, "instance head is null");
    return 8 + Hash.BYTES;
  }

  private static long ballotSize(Ballot b) {
    require(b != null, "ballot is null");
    return 8 + strSize(b.node());
  }

  private static long proposalSize(Proposal p) {
    require(p != null, "proposal is null");
    long n = Hash.BYTES + strSize(p.proposer()) + 4;
    for (Entry e : p.entries()) {
      n += entrySize(e);
    }
    return n;
  }

  private static long entrySize(Entry e) {
    long n = Hash.BYTES + strSize(e.origin()) + 8 + 4 + e.payload().length + 1;
    return e.idempotencyKey() == null ? n : n + strSize(e.idempotencyKey());
  }

  private static int strSize(String s) {
    int n = utf8Length(s);
    require(n <= STR_MAX_BYTES, "string longer than 65535 UTF-8 bytes: " + n);
    return 2 + n;
  }

  /** UTF-8 length of {@code s}, rejecting unpaired surrogates (which would not round-trip). */
  static int utf8Length(String s) {
    int n = 0;
    int len = s.length();
    for (int i = 0; i < len; i++) {
      char c = s.charAt(i);
      if (c < 0x80) {
        n += 1;
      } else if (c < 0x800) {
        n += 2;
      } else if (Character.isHighSurrogate(c)
          && i + 1 < len
          && Character.isLowSurrogate(s.charAt(i + 1))) {
        n += 4;
        i++;
      } else {
        require(!Character.isSurrogate(c), "string has an unpaired surrogate at char " + i);
        n += 3;
      }
    }
    return n;
  }

  private static void putInstance(ByteBuffer out, long length, Hash head) {
    out.putLong(length);
    putHash(out, head);
  }

  private static void putBallot(ByteBuffer out, Ballot b) {
    out.putLong(b.round());
    putStr(out, b.node());
  }

  private static void putProposal(ByteBuffer out, Proposal p) {
    putHash(out, p.id());
    putStr(out, p.proposer());
    out.putInt(p.entries().size());
    for (Entry e : p.entries()) {
      putEntry(out, e);
    }
  }

  private static void putLogEntry(ByteBuffer out, LogEntry le) {
    out.putLong(le.index());
    putHash(out, le.prev());
    putHash(out, le.hash());
    putEntry(out, le.entry());
  }

  private static void putEntry(ByteBuffer out, Entry e) {
    putHash(out, e.txid());
    putStr(out, e.origin());
    out.putLong(e.ts());
    out.putInt(e.payload().length);
    out.put(e.payload());
    if (e.idempotencyKey() == null) {
      out.put((byte) 0);
    } else {
      out.put((byte) 1);
      putStr(out, e.idempotencyKey());
    }
  }

  private static void putHash(ByteBuffer out, Hash h) {
    // Hash.copyTo writes straight into the backing array: one copy instead of two.
    h.copyTo(out.array(), out.arrayOffset() + out.position());
    out.position(out.position() + Hash.BYTES);
  }

  private static void putStr(ByteBuffer out, String s) {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    out.putShort((short) b.length);
    out.put(b);
  }

  private static void require(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException("cannot encode durable record: " + message);
    }
  }

  // ---------------------------------------------------------------- decode

  /**
   * Decodes one record, validating every field; throws {@link CorruptRecordException} naming the
   * field and byte offset of the first problem.
   */
  public static DurableRecord decode(byte[] bytes) {
    if (bytes == null) {
      throw new CorruptRecordException("record bytes are null");
    }
    return decode(bytes, 0, bytes.length);
  }

  /**
   * Decodes the record in {@code bytes[offset, offset + length)} (e.g. straight out of a WAL read
   * buffer, without copying the record first); nothing of the decoded record refers to
   * {@code bytes}, so the caller may reuse the buffer. Offsets in error messages count from
   * {@code offset}.
   */
  public static DurableRecord decode(byte[] bytes, int offset, int length) {
    if (bytes == null) {
      throw new CorruptRecordException("record bytes are null");
    }
    if (offset < 0 || length < 0 || offset > bytes.length - length) {
      throw new IllegalArgumentException("range " + offset + "+" + length + " is outside the "
          + bytes.length + "-byte buffer");
    }
    Reader in = new Reader(bytes, offset, length);
    int version = in.u8("format version");
    if (version != FORMAT_VERSION) {
      throw in.corrupt(in.start, "unsupported format version " + version + " (this build reads 1)");
    }
    int type = in.u8("record type");
    DurableRecord r = decodeBody(in, type);
    if (in.remaining() != 0) {
      throw in.corrupt(in.pos, in.remaining() + " trailing bytes after a type " + type + " record");
    }
    return r;
  }

  /**
   * For the encoding of a vote or accept record (the records that carry a whole proposal): the
   * length of the instance it is about; -1 for every other record, and for bytes too short or of
   * another version to tell. Reads the first ten bytes and validates nothing else: replay uses it
   * to leave undecoded the records that a later commit makes irrelevant.
   */
  public static long proposalRecordInstance(byte[] bytes, int offset, int length) {
    if (length < 2 + 8 + Hash.BYTES || bytes[offset] != FORMAT_VERSION) {
      return -1;
    }
    int type = bytes[offset + 1];
    if (type != TYPE_VOTE && type != TYPE_ACCEPT) {
      return -1;
    }
    return ByteBuffer.wrap(bytes, offset + 2, 8).getLong();
  }

  private static DurableRecord decodeBody(Reader in, int type) {
    switch (type) {
      case TYPE_VOTE:
        return new VoteRecord(in.instanceLength(), in.hash("head"), readProposal(in));
      case TYPE_PROMISE:
        return new PromiseRecord(in.instanceLength(), in.hash("head"), readBallot(in));
      case TYPE_ACCEPT:
        return new AcceptRecord(
            in.instanceLength(), in.hash("head"), readBallot(in), readProposal(in));
      case TYPE_COMMIT:
        return readCommit(in);
      case TYPE_CONFIG:
        return readConfig(in);
      case TYPE_CLOCK: {
        int at = in.pos;
        long ts = in.i64("clock timestamp");
        if (ts < 0) {
          throw in.corrupt(at, "clock timestamp " + ts + " is negative");
        }
        return new DurableRecord.ClockRecord(ts);
      }
      default:
        throw in.corrupt(in.start + 1, "unknown record type " + type);
    }
  }

  private static CommitRecord readCommit(Reader in) {
    int count = in.count("commit entry count", LOG_ENTRY_MIN_BYTES);
    List<LogEntry> entries = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      entries.add(readLogEntry(in));
    }
    return new CommitRecord(entries);
  }

  private static ConfigRecord readConfig(Reader in) {
    int at = in.pos;
    long version = in.i64("membership version");
    if (version < 0) {
      throw in.corrupt(at, "membership version " + version + " is negative");
    }
    int count = in.count("member count", 2 + 2 + 1);
    List<Membership.Member> members = new ArrayList<>(count);
    Membership.Role[] roles = Membership.Role.values();
    for (int i = 0; i < count; i++) {
      String id = in.str("member id");
      String url = in.str("member url");
      int roleAt = in.pos;
      int role = in.u8("member role");
      if (role >= roles.length) {
        throw in.corrupt(roleAt, "unknown member role " + role);
      }
      members.add(new Membership.Member(id, url, roles[role]));
    }
    Membership m = new Membership(version, members);
    if (m.members().size() != count) {
      throw in.corrupt(at, "duplicate member ids");
    }
    return new ConfigRecord(m);
  }

  private static LogEntry readLogEntry(Reader in) {
    int at = in.pos;
    long index = in.i64("log index");
    if (index < 1) {
      throw in.corrupt(at, "log index " + index + " is below 1");
    }
    Hash prev = in.hash("prev");
    Hash hash = in.hash("hash");
    return new LogEntry(index, prev, hash, readEntry(in));
  }

  private static Ballot readBallot(Reader in) {
    int at = in.pos;
    long round = in.i64("ballot round");
    if (round < 1) {
      throw in.corrupt(at, "ballot round " + round + " is below 1");
    }
    return new Ballot(round, in.str("ballot node"));
  }

  private static Proposal readProposal(Reader in) {
    Hash id = in.hash("proposal id");
    String proposer = in.str("proposer");
    int count = in.count("proposal entry count", ENTRY_MIN_BYTES);
    List<Entry> entries = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      entries.add(readEntry(in));
    }
    return new Proposal(id, proposer, entries);
  }

  private static Entry readEntry(Reader in) {
    Hash txid = in.hash("txid");
    String origin = in.str("origin");
    long ts = in.i64("ts");
    byte[] payload = in.bytes("payload");
    String key = in.optStr("idempotency key");
    return new Entry(txid, origin, ts, payload, key);
  }

  /**
   * Cursor over the input. Every read checks the remaining length first, so the ByteBuffer never
   * throws and each failure names what was being read and where.
   */
  private static final class Reader {
    private final byte[] a;
    private final ByteBuffer view;
    /** The record is {@code a[start, end)}; {@code pos} is absolute in {@code a}. */
    final int start;
    private final int end;
    int pos;

    Reader(byte[] a, int start, int length) {
      this.a = a;
      this.view = ByteBuffer.wrap(a);
      this.start = start;
      this.end = start + length;
      this.pos = start;
    }

    int remaining() {
      return end - pos;
    }

    /** {@code at}: a position in {@code a}; the message counts from the record's first byte. */
    CorruptRecordException corrupt(int at, String why) {
      return new CorruptRecordException(
          "corrupt durable record (" + (end - start) + " bytes) at offset " + (at - start) + ": " + why);
    }

    private void need(long n, String what) {
      if (n > remaining()) {
        throw corrupt(pos, what + " needs " + n + " bytes, only " + remaining() + " remain");
      }
    }

    int u8(String what) {
      need(1, what);
      return a[pos++] & 0xFF;
    }

    long i64(String what) {
      need(8, what);
      long v = view.getLong(pos);
      pos += 8;
      return v;
    }

    long u32(String what) {
      need(4, what);
      long v = view.getInt(pos) & 0xFFFF_FFFFL;
      pos += 4;
      return v;
    }

    long instanceLength() {
      int at = pos;
      long length = i64("instance length");
      if (length < 0) {
        throw corrupt(at, "instance length " + length + " is negative");
      }
      return length;
    }

    /** A list count of at least 1 whose elements, at {@code minBytes} each, fit in what remains. */
    int count(String what, int minBytes) {
      int at = pos;
      long n = u32(what);
      if (n == 0) {
        throw corrupt(at, what + " is 0; the list must not be empty");
      }
      if (n > remaining() / minBytes) {
        throw corrupt(at, what + " " + n + " cannot fit in the " + remaining() + " bytes that remain");
      }
      return (int) n;
    }

    Hash hash(String what) {
      need(Hash.BYTES, what + " (32-byte hash)");
      Hash h = Hash.copyOf(a, pos);
      pos += Hash.BYTES;
      return h;
    }

    byte[] bytes(String what) {
      int at = pos;
      long n = u32(what + " length");
      if (n > remaining()) {
        throw corrupt(at, what + " length " + n + " exceeds the " + remaining() + " bytes that remain");
      }
      byte[] b = Arrays.copyOfRange(a, pos, pos + (int) n);
      pos += (int) n;
      return b;
    }

    String str(String what) {
      need(2, what + " length");
      int at = pos;
      int n = view.getShort(pos) & 0xFFFF;
      pos += 2;
      if (n > remaining()) {
        throw corrupt(at, what + " length " + n + " exceeds the " + remaining() + " bytes that remain");
      }
      String s = utf8(at, n, what);
      pos += n;
      return s;
    }

    String optStr(String what) {
      int at = pos;
      int marker = u8(what + " null marker");
      if (marker == 0) {
        return null;
      }
      if (marker != 1) {
        throw corrupt(at, what + " null marker is " + marker + ", expected 0 or 1");
      }
      return str(what);
    }

    /**
     * Strict UTF-8: malformed bytes are corruption, not '\uFFFD', so a decoded record re-encodes
     * to the same bytes. ASCII (all node ids in practice) takes the JDK's fast path.
     */
    private String utf8(int at, int n, String what) {
      boolean ascii = true;
      for (int i = pos; i < pos + n; i++) {
        if (a[i] < 0) {
          ascii = false;
          break;
        }
      }
      if (ascii) {
        return new String(a, pos, n, StandardCharsets.US_ASCII);
      }
      try {
        CharBuffer chars = StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(a, pos, n));
        return chars.toString();
      } catch (CharacterCodingException e) {
        throw corrupt(at, what + " is not well-formed UTF-8");
      }
    }
  }
}
