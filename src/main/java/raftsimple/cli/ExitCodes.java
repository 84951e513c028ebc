package raftsimple.cli;

/** raftsimplectl's exit statuses (docs/OPERATIONS.md lists them with the node's). */
public final class ExitCodes {
  private ExitCodes() {}

  /** The command did what it was asked. */
  public static final int OK = 0;
  /** The cluster answered and refused (4xx/5xx: rejected, not found, unavailable), or a check failed. */
  public static final int REFUSED = 1;
  /** Bad command line: unknown command or option, missing or malformed argument. */
  public static final int USAGE = 2;
  /** No endpoint could be reached (connection refused, timed out, TLS handshake failed). */
  public static final int UNREACHABLE = 3;
}
