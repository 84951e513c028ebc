package raftsimple.app;

/**
 * A component cannot start and the process must exit with {@link #exitCode()}: throw it (or fail a
 * start future with it, possibly wrapped) from any verticle's {@code start}. {@link Main} finds it
 * in the failure's cause chain, prints its message and exits with its code. Storage corruption
 * uses {@link #CORRUPT_STORAGE} (2, the same as a bad config: an operator must act before a
 * restart can help); anything else that should not be retried by a supervisor may pick its own.
 */
public class FatalStartupException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Exit status for corrupt or unreadable durable state (CONTRACT: 2). */
  public static final int CORRUPT_STORAGE = 2;

  private final int exitCode;

  public FatalStartupException(int exitCode, String message) {
    this(exitCode, message, null);
  }

  public FatalStartupException(int exitCode, String message, Throwable cause) {
    super(message, cause);
    if (exitCode < 1 || exitCode > 125) {
      throw new IllegalArgumentException("exit code must be in 1..125, got " + exitCode);
    }
    this.exitCode = exitCode;
  }

  public int exitCode() {
    return exitCode;
  }
}
