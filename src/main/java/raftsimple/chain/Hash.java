package raftsimple.chain;

import java.util.Arrays;
import java.util.HexFormat;

/**
 * A SHA-256 digest: a txid, an entry's chained hash, or a head.
 *
 * <p>Immutable: the 32 bytes are copied in and never handed out. Equality is by content, so a
 * {@code Hash} can key maps. Printed as 64 lower-case hex characters (CONTRACT "The log's hashes").
 */
public final class Hash implements Comparable<Hash> {
  public static final int BYTES = 32;
  private static final HexFormat HEX = HexFormat.of();

  /** The {@code prev} of the first entry: 64 zeros. */
  public static final Hash ZERO = new Hash(new byte[BYTES]);

  private final byte[] bytes;
  private final int hashCode;

  private Hash(byte[] bytes) {
    this.bytes = bytes;
    this.hashCode = Arrays.hashCode(bytes);
  }

  /** Wraps a copy of {@code bytes}, which must be exactly 32 bytes long. */
  public static Hash of(byte[] bytes) {
    if (bytes.length != BYTES) {
      throw new IllegalArgumentException("a hash is 32 bytes, got " + bytes.length);
    }
    return new Hash(bytes.clone());
  }

  /**
   * The 32 bytes of {@code src} from {@code offset}, copied once (decoders read hashes out of a
   * larger buffer; {@code of(copyOfRange(...))} would copy them twice).
   */
  public static Hash copyOf(byte[] src, int offset) {
    if (offset < 0 || offset > src.length - BYTES) {
      throw new IllegalArgumentException("a hash is 32 bytes: offset " + offset + " in " + src.length);
    }
    return new Hash(java.util.Arrays.copyOfRange(src, offset, offset + BYTES));
  }

  /** Wraps a fresh digest that nobody else holds, without copying it ({@link Hashing} only). */
  static Hash owning(byte[] digest) {
    if (digest.length != BYTES) {
      throw new IllegalArgumentException("a hash is 32 bytes, got " + digest.length);
    }
    return new Hash(digest);
  }

  /** Parses 64 hex characters; throws {@link IllegalArgumentException} naming the problem otherwise. */
  public static Hash parse(String hex) {
    if (hex == null || hex.length() != 2 * BYTES) {
      throw new IllegalArgumentException("a hash is 64 hex characters");
    }
    for (int i = 0; i < hex.length(); i++) {
      char c = hex.charAt(i);
      boolean ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
      if (!ok) {
        throw new IllegalArgumentException("a hash is lower-case hex; bad character at " + i);
      }
    }
    return new Hash(HEX.parseHex(hex));
  }

  /** True when {@code s} is 64 lower-case hex characters. */
  public static boolean isHex(String s) {
    if (s == null || s.length() != 2 * BYTES) {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
        return false;
      }
    }
    return true;
  }

  /** A copy of the 32 bytes. */
  public byte[] toBytes() {
    return bytes.clone();
  }

  /** Writes the 32 bytes into {@code dst} at {@code offset} without copying them twice. */
  public void copyTo(byte[] dst, int offset) {
    System.arraycopy(bytes, 0, dst, offset, BYTES);
  }

  public String hex() {
    return HEX.formatHex(bytes);
  }

  /** The first 8 hex characters, for logs and traces. */
  public String shortHex() {
    return hex().substring(0, 8);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Hash h && h.hashCode == hashCode && Arrays.equals(h.bytes, bytes);
  }

  @Override
  public int hashCode() {
    return hashCode;
  }

  @Override
  public int compareTo(Hash o) {
    return Arrays.compareUnsigned(bytes, o.bytes);
  }

  @Override
  public String toString() {
    return hex();
  }
}
