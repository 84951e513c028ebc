package raftsimple.log;

/**
 * The write-ahead log was read, but its records do not rebuild a consistent node (a commit that
 * does not extend the chain, say). The node must not start: an operator has to look (exit 2).
 */
public final class ReplayFailedException extends RuntimeException {
  public ReplayFailedException(String message, Throwable cause) {
    super(message, cause);
  }
}
