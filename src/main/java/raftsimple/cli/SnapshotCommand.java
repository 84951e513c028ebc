package raftsimple.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.HexFormat;
import java.util.function.LongConsumer;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import raftsimple.log.RestoredMembership;
import raftsimple.storage.SnapshotBackup;
import raftsimple.storage.WalCorruptException;

/**
 * {@code snapshot save FILE} and {@code snapshot restore FILE --data-dir D --node-id ID}: backups,
 * as etcd's. Save streams {@code GET /snapshot} to disk, verifies the file's checksum and checks its
 * head against the node's log. Restore verifies the file again and writes it, with a membership of
 * the new node alone, as the only content of an empty data dir: a node started on it begins at the
 * snapshot's length and head, and other nodes join it. Every file check is {@link SnapshotFile}'s.
 */
@Command(name = "snapshot", mixinStandardHelpOptions = true,
    description = "Backs up a cluster's state (save) and makes a new cluster's first node from a "
        + "backup (restore).",
    subcommands = {SnapshotCommand.Save.class, SnapshotCommand.Restore.class})
final class SnapshotCommand extends CtlCommand {
  /** How long the node may take to write a fresh snapshot before it starts sending it. */
  static final Duration TAKE_TIMEOUT = Duration.ofMinutes(5);
  private static final long PROGRESS_BYTES = 8L << 20;
  private static final Pattern NODE_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");

  @Override
  public Integer call() {
    throw CtlException.usage("snapshot needs a subcommand: save or restore");
  }

  /** Prints "what: N MiB" to {@code err} every 8 MiB. */
  static LongConsumer progress(PrintWriter err, String what) {
    long[] printed = {0};
    return bytes -> {
      if (bytes - printed[0] >= PROGRESS_BYTES) {
        printed[0] = bytes;
        err.printf("%s: %.1f MiB%n", what, bytes / 1048576.0);
        err.flush();
      }
    };
  }

  static String hex(byte[] b) {
    return HexFormat.of().formatHex(b);
  }

  @Command(name = "save", mixinStandardHelpOptions = true,
      description = "Saves a consistent snapshot of the first reachable node (state, membership, "
          + "the length and head it reflects, SHA-256) to FILE. The node first takes a snapshot "
          + "of everything it has applied, unless its newest one already covers it.")
  static final class Save extends CtlCommand {
    @Parameters(index = "0", paramLabel = "FILE") Path file;

    @Override
    public Integer call() throws IOException {
      if (Files.exists(file)) {
        throw CtlException.usage(file + " already exists; choose another name or remove it");
      }
      Path parent = file.toAbsolutePath().getParent();
      if (parent == null || !Files.isDirectory(parent)) {
        throw CtlException.usage("no directory " + parent + " to save " + file.getFileName() + " in");
      }
      Path part = file.resolveSibling(file.getFileName() + ".part");
      ClusterClient.Response<InputStream> r = client().stream("/snapshot", TAKE_TIMEOUT);
      if (r.status() != 200) {
        byte[] body;
        try (InputStream in = r.body()) {
          body = in.readNBytes(64 * 1024);
        }
        throw CtlException.refused(ClusterClient.refusal(r.endpoint(), r.status(), body));
      }
      err().println("snapshot save: receiving from " + r.endpoint());
      try {
        receive(r.body(), part, progress(err(), "snapshot save: received"));
        SnapshotBackup.Header h = SnapshotBackup.verify(part, bytes -> { });
        checkHeaders(r, h);
        String checked = checkAgainstLog(r.endpoint(), h);
        Files.move(part, file, StandardCopyOption.ATOMIC_MOVE);
        out().println("saved " + file + ": entries 1.." + h.length() + ", head " + hex(h.head())
            + ", " + h.fileBytes() + " bytes, checksum verified, " + checked);
        return ExitCodes.OK;
      } catch (WalCorruptException e) {
        throw CtlException.refused("the snapshot from " + r.endpoint() + " is damaged: " + e.getMessage());
      } finally {
        Files.deleteIfExists(part);
      }
    }

    private static void receive(InputStream body, Path part, LongConsumer progress) throws IOException {
      try (InputStream in = body;
          FileChannel ch = FileChannel.open(part, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
        OutputStream out = Channels.newOutputStream(ch);
        byte[] buf = new byte[1 << 16];
        long total = 0;
        for (int n; (n = in.read(buf)) >= 0; ) {
          out.write(buf, 0, n);
          total += n;
          progress.accept(total);
        }
        out.flush();
        ch.force(true);
      }
    }

    private static void checkHeaders(ClusterClient.Response<InputStream> r, SnapshotBackup.Header h) {
      String length = r.headers().firstValue("X-Raftsimple-Snapshot-Length").orElse(null);
      String head = r.headers().firstValue("X-Raftsimple-Snapshot-Head").orElse(null);
      if ((length != null && !length.equals(Long.toString(h.length())))
          || (head != null && !head.equals(hex(h.head())))) {
        throw CtlException.refused("the snapshot from " + r.endpoint() + " says length " + h.length()
            + " head " + hex(h.head()) + ", its headers " + length + " " + head);
      }
    }

    /** The entry after the snapshot must chain from its head (or the head be the node's). */
    private String checkAgainstLog(URI endpoint, SnapshotBackup.Header h) {
      String head = hex(h.head());
      ClusterClient.Response<byte[]> r = client().get("/log?from=" + (h.length() + 1) + "&limit=1");
      if (r.status() == 410) {
        return "head not checked against the log (compacted past it)";
      }
      JsonNode page = ClusterClient.json(ClusterClient.ok(r));
      JsonNode entries = page.path("entries");
      boolean ok = entries.size() > 0 ? head.equals(entries.get(0).path("prev").asText())
          : page.path("length").asLong() != h.length() || head.equals(page.path("head").asText());
      if (!ok) {
        throw CtlException.refused("the snapshot's head " + head + " at length " + h.length()
            + " is not in the log of " + r.endpoint());
      }
      return entries.size() > 0 || page.path("length").asLong() == h.length()
          ? "head matches the log of " + r.endpoint() : "head not checked (the log is shorter)";
    }
  }

  @Command(name = "restore", mixinStandardHelpOptions = true,
      description = "Prepares the data dir of a new cluster's first node from a saved snapshot: "
          + "verifies its checksum (and --head), and writes it, with a membership of node ID "
          + "alone, into the empty directory D. Start the node with that nodeId and dataDir and "
          + "no peers; it begins at the snapshot's length and head, and other nodes join it.")
  static final class Restore extends CtlCommand {
    @Parameters(index = "0", paramLabel = "FILE") Path file;

    @Option(names = "--data-dir", required = true, paramLabel = "D",
        description = "the new node's dataDir: must not exist or be empty")
    Path dataDir;

    @Option(names = "--node-id", required = true, paramLabel = "ID", description = "the new node's nodeId")
    String nodeId;

    @Option(names = "--url", paramLabel = "URL", defaultValue = "https://127.0.0.1:6969",
        description = "the URL other nodes will reach it at (default: ${DEFAULT-VALUE})")
    String url;

    @Option(names = "--head", paramLabel = "HEX",
        description = "refuse unless the snapshot's head is this (as `snapshot save` printed it)")
    String head;

    @Override
    public Integer call() throws IOException {
      if (!NODE_ID.matcher(nodeId).matches()) {
        throw CtlException.usage("--node-id must match " + NODE_ID.pattern() + ", got '" + nodeId + "'");
      }
      URI u = Endpoints.parse(url, "--url").get(0);
      if (u.getPort() < 1) {
        throw CtlException.usage("--url needs a port: " + url);
      }
      if (!Files.isRegularFile(file)) {
        throw CtlException.usage(file + ": no such file");
      }
      refuseNonEmpty(dataDir);
      PrintWriter err = err();
      err.println("snapshot restore: verifying " + file);
      SnapshotBackup.Header h;
      try {
        h = SnapshotBackup.verify(file, progress(err, "snapshot restore: verified"));
      } catch (WalCorruptException e) {
        throw CtlException.refused(file + " is not an intact snapshot: " + e.getMessage());
      }
      if (head != null && !head.equalsIgnoreCase(hex(h.head()))) {
        throw CtlException.refused(file + " has head " + hex(h.head()) + ", not " + head);
      }
      byte[] meta;
      try {
        meta = RestoredMembership.singleVoter(h.meta(), nodeId, u.toString());
      } catch (IllegalArgumentException e) {
        throw CtlException.refused(file + ": its membership cannot be read: " + e.getMessage());
      }
      err.println("snapshot restore: entries 1.." + h.length() + ", head " + hex(h.head())
          + "; old members " + RestoredMembership.describe(h.meta()));
      boolean created = !Files.exists(dataDir);
      try {
        SnapshotBackup.Header w = SnapshotBackup.rewrite(file, meta, dataDir.resolve("snapshots"),
            progress(err, "snapshot restore: written"));
        out().println("restored " + file + " into " + dataDir + ": node " + nodeId + " (" + u
            + ") alone, entries 1.." + w.length() + ", head " + hex(w.head()) + ". Start it with "
            + "{\"nodeId\": \"" + nodeId + "\", \"dataDir\": \"" + dataDir + "\"} and no peers.");
        return ExitCodes.OK;
      } catch (RuntimeException e) {
        cleanUp(dataDir, created);
        throw e;
      }
    }

    private static void refuseNonEmpty(Path dir) throws IOException {
      if (!Files.exists(dir)) {
        return;
      }
      if (!Files.isDirectory(dir)) {
        throw CtlException.usage("--data-dir " + dir + " is not a directory");
      }
      try (Stream<Path> s = Files.list(dir)) {
        if (s.findAny().isPresent()) {
          throw CtlException.usage("--data-dir " + dir + " is not empty: restore only into a new "
              + "node's empty data dir (it would mix with the data there)");
        }
      }
    }

    private static void cleanUp(Path dir, boolean created) throws IOException {
      Path snapshots = dir.resolve("snapshots");
      if (Files.isDirectory(snapshots)) {
        try (Stream<Path> s = Files.list(snapshots)) {
          for (Path p : (Iterable<Path>) s::iterator) {
            Files.deleteIfExists(p);
          }
        }
        Files.deleteIfExists(snapshots);
      }
      if (created) {
        Files.deleteIfExists(dir);
      }
    }
  }
}
