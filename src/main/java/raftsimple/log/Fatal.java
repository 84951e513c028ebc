package raftsimple.log;

/**
 * Stops the process at once when continuing could break the replicated state: a failed invariant in
 * the core, a failed write to the write-ahead log, or a state machine that threw. Nothing is flushed
 * on purpose: what the protocol depends on is already on disk, and what is not must not leak out.
 * Exit codes: 70 (internal invariant), 74 (storage I/O).
 */
public final class Fatal {
  public static final int INTERNAL = 70;
  public static final int IO = 74;

  private Fatal() {}

  /** Overridable for tests that host several nodes in one JVM. */
  static volatile java.util.function.IntConsumer halt = code -> Runtime.getRuntime().halt(code);

  public static void stop(int code, String what, Throwable cause) {
    System.err.println("raftsimple: FATAL: " + what + (cause == null ? "" : ": " + cause));
    if (cause != null) {
      cause.printStackTrace(System.err);
    }
    System.err.flush();
    halt.accept(code);
  }
}
