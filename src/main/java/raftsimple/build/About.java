package raftsimple.build;

/** The one description of raftsimple that every {@code --help} (node and CLI) starts with. */
public final class About {
  private About() {}

  public static final String DESCRIPTION =
      "raftsimple is a distributed, replicated, hash-chained log with a pluggable state machine "
      + "(a key-value store by default). Any writable node accepts a client's entry; a majority of "
      + "the voting members commits it; every node applies it in log order. Each entry's hash "
      + "chains it to the one before, so two nodes with the same head hold the same log.";
}
