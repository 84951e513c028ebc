package raftsimple.log;

/**
 * A node configured with {@code join} could not be added to the cluster (unreachable, refused, or
 * not a raftsimple cluster). It must not start: without the cluster's membership it cannot take
 * part (exit 3).
 */
public final class JoinFailedException extends RuntimeException {
  public JoinFailedException(String message) {
    super(message);
  }
}
