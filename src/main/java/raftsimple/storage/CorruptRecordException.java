package raftsimple.storage;

/**
 * A durable record's bytes do not decode ({@link RecordCodec#decode}). The frame around them passed
 * its CRC, so this means a bug, a format from a newer version, or corruption the CRC missed: the
 * node must stop rather than guess. Unchecked, because no caller can repair the bytes.
 */
public final class CorruptRecordException extends RuntimeException {
  public CorruptRecordException(String message) {
    super(message);
  }

  public CorruptRecordException(String message, Throwable cause) {
    super(message, cause);
  }
}
