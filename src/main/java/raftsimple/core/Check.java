package raftsimple.core;

/**
 * Always-on invariant checks (Java {@code assert} is off in production; STYLE rule 6). A failed check
 * is a programmer error: it throws {@link IllegalStateException} and the node stops rather than
 * risk diverging from its peers. Bad input from outside is never checked here; it is a value.
 */
public final class Check {
  private Check() {}

  public static void state(boolean cond, String fmt, Object... args) {
    if (!cond) {
      throw new IllegalStateException("invariant violated: " + String.format(fmt, args));
    }
  }
}
