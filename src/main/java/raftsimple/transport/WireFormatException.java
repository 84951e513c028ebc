package raftsimple.transport;

/** A peer sent bytes that are not a valid protocol envelope; the message names what is wrong. */
public final class WireFormatException extends RuntimeException {
  public WireFormatException(String message) {
    super(message);
  }

  public WireFormatException(String message, Throwable cause) {
    super(message, cause);
  }
}
