package raftsimple.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import raftsimple.statemachine.Json;

/**
 * {@code members add / remove / promote}: membership changes through the log (CONTRACT
 * "Membership"), each printed as the resulting membership once committed. Under mutual TLS they
 * need {@code --cert} and {@code --key} signed by the cluster CA.
 */
@Command(name = "members", mixinStandardHelpOptions = true,
    description = "Changes the membership (one change at a time, committed through the log). "
        + "Under mutual TLS give --cert and --key signed by the cluster CA. `status` lists the members.",
    subcommands = {MembersCommand.Add.class, MembersCommand.Remove.class, MembersCommand.Promote.class})
final class MembersCommand extends CtlCommand {
  @Override
  public Integer call() {
    throw CtlException.usage("members needs a subcommand: add, remove or promote");
  }

  static int change(CtlCommand c, ClusterClient.Response<byte[]> r) {
    JsonNode body = ClusterClient.json(ClusterClient.ok(r));
    c.out().println(Values.compact(body.has("membership") ? body.get("membership") : body));
    return ExitCodes.OK;
  }

  static int add(CtlCommand c, String id, String url, String role) {
    ObjectNode o = Json.NODES.objectNode();
    o.put("id", id);
    o.put("url", url);
    o.put("role", role);
    return change(c, c.client().postJson("/cluster/members", Json.compact(o), null));
  }

  @Command(name = "add", mixinStandardHelpOptions = true,
      description = "Adds node ID, reachable at URL. A voter joins as a learner and is promoted by "
          + "the cluster once it has caught up. Start the node itself with \"join\" set "
          + "(docs/OPERATIONS.md), or let it join by itself, which makes this call for it.")
  static final class Add extends CtlCommand {
    @Parameters(index = "0", paramLabel = "ID") String id;
    @Parameters(index = "1", paramLabel = "URL") String url;

    @Option(names = "--read-only", description = "replicates and serves reads, never votes")
    boolean readOnly;

    @Override
    public Integer call() {
      return add(this, id, url, readOnly ? "read-only" : "voter");
    }
  }

  @Command(name = "remove", mixinStandardHelpOptions = true,
      description = "Removes node ID from the cluster (the last voter cannot be removed). Stop the "
          + "node afterwards.")
  static final class Remove extends CtlCommand {
    @Parameters(index = "0", paramLabel = "ID") String id;

    @Override
    public Integer call() {
      return change(this, client().delete("/cluster/members/" + KvCommands.segment(id)));
    }
  }

  @Command(name = "promote", mixinStandardHelpOptions = true,
      description = "Makes the read-only member ID a voter. A member that already votes, or is "
          + "joining as one (a learner), is left as it is.")
  static final class Promote extends CtlCommand {
    @Parameters(index = "0", paramLabel = "ID") String id;

    @Override
    public Integer call() {
      JsonNode cluster = ClusterClient.json(ClusterClient.ok(client().get("/cluster")));
      for (JsonNode m : cluster.path("members")) {
        if (id.equals(m.path("id").asText())) {
          return add(this, id, m.path("url").asText(), "voter");
        }
      }
      throw CtlException.refused("node " + id + " is not a member (as seen by "
          + cluster.path("nodeId").asText() + " at " + client().current() + ")");
    }
  }
}
