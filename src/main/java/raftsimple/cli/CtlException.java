package raftsimple.cli;

/** Ends a command with {@link #exitCode()} and a one-line message for stderr. */
final class CtlException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final int exitCode;

  CtlException(int exitCode, String message) {
    super(message);
    this.exitCode = exitCode;
  }

  int exitCode() {
    return exitCode;
  }

  static CtlException refused(String message) {
    return new CtlException(ExitCodes.REFUSED, message);
  }

  static CtlException usage(String message) {
    return new CtlException(ExitCodes.USAGE, message);
  }
}
