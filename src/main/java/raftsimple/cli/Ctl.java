package raftsimple.cli;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;
import raftsimple.build.About;
import raftsimple.build.BuildInfo;

/**
 * raftsimplectl, the command-line client: {@code java -jar raftsimple.jar ctl <command>} or
 * {@code deploy/raftsimplectl <command>}. It speaks the client API (CONTRACT "Client API") to the
 * nodes of {@code --endpoints} with a blocking HTTP client, moving to the next endpoint when one
 * cannot be reached, and exits with {@link ExitCodes}. The connection options are accepted before
 * or after the command name.
 */
@Command(name = "raftsimplectl", mixinStandardHelpOptions = true, versionProvider = Ctl.Version.class,
    description = {About.DESCRIPTION, "",
        "raftsimplectl talks to a cluster through the HTTP API of its nodes: it writes and reads "
            + "entries, follows the log as it commits, shows the members, changes the membership, "
            + "re-verifies a node's hash chain and saves and restores backups."},
    subcommands = {
        KvCommands.Put.class, KvCommands.Get.class, KvCommands.Delete.class, KvCommands.Cas.class,
        KvCommands.Append.class, KvCommands.Submit.class,
        LogCommands.Log.class, LogCommands.Head.class, LogCommands.Verify.class,
        StatusCommand.class, MembersCommand.class, WatchCommand.class, SnapshotCommand.class,
        CommandLine.HelpCommand.class},
    sortOptions = false)
public final class Ctl implements Runnable {
  static final String EXIT_CODES = "Exit status: 0 done; 1 refused by the cluster, not found, or a "
      + "check failed (the message says which); 2 usage error; 3 no endpoint reachable.";

  @Spec CommandSpec spec;

  @Option(names = "--endpoints", scope = ScopeType.INHERIT, paramLabel = "URL[,URL...]",
      description = "nodes to talk to, tried in order (default: $" + Endpoints.ENV + ", else "
          + Endpoints.DEFAULT + ")")
  String endpoints;

  @Option(names = "--cacert", scope = ScopeType.INHERIT, paramLabel = "FILE",
      description = "PEM CA certificate to trust (the cluster's ca.crt, or a node's self-signed node.crt)")
  Path cacert;

  @Option(names = "--cert", scope = ScopeType.INHERIT, paramLabel = "FILE",
      description = "PEM client certificate signed by the cluster CA (membership changes under mutual TLS)")
  Path cert;

  @Option(names = "--key", scope = ScopeType.INHERIT, paramLabel = "FILE",
      description = "PKCS#8 PEM private key of --cert")
  Path key;

  @Option(names = "--timeout", scope = ScopeType.INHERIT, paramLabel = "SECONDS", defaultValue = "30",
      description = "how long one request may take (default: ${DEFAULT-VALUE})")
  int timeoutSeconds;

  PrintWriter out;
  PrintWriter err;
  Map<String, String> env;
  private ClusterClient client;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "name a command (--help lists them)");
  }

  /** The client for this run's endpoints and TLS options (built on first use). */
  ClusterClient client() {
    if (client == null) {
      if (timeoutSeconds < 1 || timeoutSeconds > 3600) {
        throw CtlException.usage("--timeout must be 1..3600 seconds, got " + timeoutSeconds);
      }
      client = new ClusterClient(Endpoints.resolve(endpoints, env), PemTls.context(cacert, cert, key),
          Duration.ofSeconds(timeoutSeconds));
    }
    return client;
  }

  /** Runs a command line with this process's stdout, stderr and environment. */
  public static int run(String[] args) {
    return run(args, new PrintWriter(System.out, true, StandardCharsets.UTF_8),
        new PrintWriter(System.err, true, StandardCharsets.UTF_8), System.getenv());
  }

  /** Runs a command line; returns its exit status ({@link ExitCodes}). */
  public static int run(String[] args, PrintWriter out, PrintWriter err, Map<String, String> env) {
    Ctl ctl = new Ctl();
    ctl.out = out;
    ctl.err = err;
    ctl.env = env;
    CommandLine cl = new CommandLine(ctl)
        .setOut(out)
        .setErr(err)
        .setUsageHelpWidth(100)
        .setExecutionExceptionHandler((e, line, parsed) -> {
          if (e instanceof CtlException c) {
            err.println("raftsimplectl: " + c.getMessage());
            return c.exitCode();
          }
          err.println("raftsimplectl: " + line.getCommandName() + " failed: " + e);
          return ExitCodes.REFUSED;
        })
        .setParameterExceptionHandler((e, args2) -> {
          err.println("raftsimplectl: " + e.getMessage());
          err.println("usage: " + e.getCommandLine().getCommandSpec().qualifiedName()
              + " --help shows the options");
          return ExitCodes.USAGE;
        });
    footers(cl);
    int status = cl.execute(args);
    out.flush();
    err.flush();
    return status;
  }

  /** Every command's --help ends with what raftsimple is and the exit statuses. */
  private static void footers(CommandLine cl) {
    if (cl.getParent() != null) {
      cl.getCommandSpec().usageMessage().footer("", About.DESCRIPTION, "", EXIT_CODES);
    } else {
      cl.getCommandSpec().usageMessage().footer("", EXIT_CODES,
          "Connection options may come before or after the command. docs/OPERATIONS.md has more.");
    }
    cl.getSubcommands().values().forEach(Ctl::footers);
  }

  /** {@code --version}: the build's version and commit. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {"raftsimplectl " + BuildInfo.current().describe()};
    }
  }
}
