package raftsimple.chain;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;

/**
 * The byte layouts fed to SHA-256 (docs/PROTOCOL.md §2 "Hashes"). Pure functions, no I/O.
 *
 * <ul>
 *   <li>{@code txid = SHA-256( ascii(ts) 0x0A utf8(origin) 0x0A payload )}, where {@code ts} is the
 *       origin node's wall-clock milliseconds in decimal and {@code payload} the entry's compact JSON
 *       bytes exactly as {@code GET /log} prints them.
 *   <li>{@code hash(i) = SHA-256( bytes(hash(i-1)) || bytes(txid(i)) )}: 64 raw bytes in, the genesis
 *       {@code prev} being 32 zero bytes.
 *   <li>{@code valueId = SHA-256( utf8(proposer) 0x0A || bytes(txid_1) || ... || bytes(txid_k) )}:
 *       names a proposed batch. The proposer is part of it: two nodes can propose the same entries
 *       (a forwarded entry and its origin), and a voter's vote must name one proposal, not a content.
 * </ul>
 */
public final class Hashing {
  private Hashing() {}

  private static final ThreadLocal<MessageDigest> SHA256 =
      ThreadLocal.withInitial(
          () -> {
            try {
              return MessageDigest.getInstance("SHA-256");
            } catch (NoSuchAlgorithmException e) {
              throw new IllegalStateException("the JDK has no SHA-256", e);
            }
          });

  /** SHA-256 of arbitrary bytes (e.g. an idempotent request's body). */
  public static Hash sha256(byte[] data) {
    MessageDigest md = SHA256.get();
    md.reset();
    return Hash.owning(md.digest(data));
  }

  public static Hash txid(long tsMs, String origin, byte[] payload) {
    MessageDigest md = SHA256.get();
    md.reset();
    md.update(Long.toString(tsMs).getBytes(StandardCharsets.US_ASCII));
    md.update((byte) '\n');
    md.update(origin.getBytes(StandardCharsets.UTF_8));
    md.update((byte) '\n');
    md.update(payload);
    return Hash.owning(md.digest());
  }

  public static Hash chain(Hash prev, Hash txid) {
    byte[] in = new byte[2 * Hash.BYTES];
    prev.copyTo(in, 0);
    txid.copyTo(in, Hash.BYTES);
    MessageDigest md = SHA256.get();
    md.reset();
    return Hash.owning(md.digest(in));
  }

  public static Hash valueId(String proposer, List<Entry> entries) {
    MessageDigest md = SHA256.get();
    md.reset();
    md.update(proposer.getBytes(StandardCharsets.UTF_8));
    md.update((byte) '\n');
    byte[] buf = new byte[Hash.BYTES];
    for (Entry e : entries) {
      e.txid().copyTo(buf, 0);
      md.update(buf);
    }
    return Hash.owning(md.digest());
  }
}
