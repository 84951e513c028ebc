package raftsimple.app;

import java.io.PrintWriter;
import java.util.Optional;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import raftsimple.build.About;
import raftsimple.build.BuildInfo;

/**
 * The node's command line: {@code java -jar raftsimple.jar [-conf FILE|JSON]}, plus {@code --help}
 * and {@code --version}, checked before anything else runs: an unknown option or a stray word is a
 * usage error (exit 2, naming it) and nothing is read, created or started. Option names are
 * case-insensitive and take their value as {@code -conf X} or {@code -conf=X}, as the Vert.x
 * launcher's do. {@code java -jar raftsimple.jar ctl ...} is the CLI ({@link Main} hands it over
 * before this parser runs).
 */
@Command(name = "java -jar raftsimple.jar",
    description = {About.DESCRIPTION, "",
        "Runs one node. With no options: a single-node cluster on https://127.0.0.1:6969, data in "
            + "./data, the key-value state machine and a self-signed certificate (data/tls/). "
            + "Every config key is in docs/CONFIG.md; RAFTSIMPLE_<KEY> environment variables "
            + "override the file.",
        "",
        "The command-line client: java -jar raftsimple.jar ctl --help (or deploy/raftsimplectl)."},
    footer = {"", "Exit status: 0 stopped by SIGTERM (or --help/--version); 1 stopping failed; "
        + "2 usage or config error, or corrupt storage; 3 could not join the cluster; 4 the "
        + "address is already in use; 11 Vert.x could not start (e.g. the cluster manager's "
        + "port); 15 a component failed to start for another reason (the message says which)."},
    sortOptions = false)
final class NodeCommandLine {
  static final int USAGE = 2;

  @Option(names = {"-conf", "--conf"}, paramLabel = "FILE|JSON",
      description = "the node's configuration: a JSON file, or inline JSON")
  String conf;

  @Option(names = {"-h", "-help", "--help"}, usageHelp = true, description = "print this help and exit")
  boolean help;

  @Option(names = {"-V", "-version", "--version"}, versionHelp = true,
      description = "print the version and exit")
  boolean version;

  /** What the command line asks for: run with {@code conf} (may be null), or exit with a status. */
  record Parsed(Optional<Integer> exit, String conf) {}

  /** Parses {@code args}; help, version and usage errors are printed here and end in an exit status. */
  static Parsed parse(String[] args, PrintWriter out, PrintWriter err) {
    NodeCommandLine options = new NodeCommandLine();
    CommandLine cl = new CommandLine(options)
        .setOptionsCaseInsensitive(true)
        .setOut(out)
        .setErr(err)
        .setUsageHelpWidth(100);
    try {
      cl.parseArgs(args);
    } catch (CommandLine.ParameterException e) {
      err.println("raftsimple: " + e.getMessage());
      err.println("usage: java -jar raftsimple.jar [-conf FILE|JSON]; --help lists every option");
      err.flush();
      return new Parsed(Optional.of(USAGE), null);
    }
    if (cl.isUsageHelpRequested()) {
      cl.usage(out);
      out.flush();
      return new Parsed(Optional.of(0), null);
    }
    if (cl.isVersionHelpRequested()) {
      out.println("raftsimple " + BuildInfo.current().describe());
      out.flush();
      return new Parsed(Optional.of(0), null);
    }
    return new Parsed(Optional.empty(), options.conf);
  }
}
