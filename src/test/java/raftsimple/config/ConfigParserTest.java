package raftsimple.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ConfigParserTest {
  /** A three-path TLS block whose files exist under the temp dir (the parser checks readability). */
  private static final String TLS_FILES =
      "\"tls\": {\"certPath\": \"certs/n1.crt\", \"keyPath\": \"certs/n1.key\", "
          + "\"caPath\": \"certs/ca.crt\"}";
  private static final String PLAIN = "\"tls\": {\"enabled\": false}";

  @TempDir Path dir;

  @BeforeEach
  void certificateFiles() throws IOException {
    Files.createDirectories(dir.resolve("certs"));
    for (String name : List.of("n1.crt", "n1.key", "n2.crt", "n2.key", "n3.crt", "n3.key",
        "ca.crt")) {
      Files.writeString(dir.resolve("certs").resolve(name), "x");
    }
  }

  private NodeConfig parse(String json) {
    return parse(json, Map.of());
  }

  private NodeConfig parse(String json, Map<String, String> env) {
    return ConfigParser.parse(new JsonObject(json), env, dir);
  }

  @Test
  void emptyConfigGivesTheDefaultsWithDataDirResolved() {
    NodeConfig d = NodeConfig.defaults();
    NodeConfig expected = new NodeConfig(d.nodeId(), d.host(), d.port(), dir.resolve("data"),
        d.readOnly(), d.peers(), d.join(), d.transport(), d.stateMachine(), d.headTimeoutMs(),
        d.tls(), d.eventbus(), d.limits());
    assertEquals(expected, parse("{}"));
    assertEquals(6969, expected.port());
    assertTrue(expected.tls().enabled());
  }

  @Test
  void contractExampleParses() {
    NodeConfig c = parse("{\"nodeId\": \"n1\", \"host\": \"127.0.0.1\", \"port\": 6969,"
        + " \"dataDir\": \"data/n1\", \"readOnly\": false,"
        + " \"peers\": [{\"id\": \"n2\", \"url\": \"https://127.0.0.1:6970\"},"
        + "   {\"id\": \"n3\", \"url\": \"https://127.0.0.1:6971\"}],"
        + " \"join\": null, \"transport\": \"https\", \"stateMachine\": \"kv\","
        + " \"headTimeoutMs\": 1500, \"tls\": {\"enabled\": true, \"certPath\": \"certs/n1.crt\","
        + " \"keyPath\": \"certs/n1.key\", \"caPath\": \"certs/ca.crt\"}}");
    assertEquals(List.of(new NodeConfig.Peer("n2", "https://127.0.0.1:6970"),
        new NodeConfig.Peer("n3", "https://127.0.0.1:6971")), c.peers());
    assertEquals(dir.resolve("data/n1"), c.dataDir());
    assertEquals(dir.resolve("certs/ca.crt").toString(), c.tls().caPath());
    assertEquals(List.of("n1", "n2", "n3"), c.initialVoters());
    assertNull(c.join());
  }

  /**
   * Joining (and read-only members, which join) work over the event bus too; the node must list at
   * least one member's cluster address, since that is how it finds the event-bus cluster.
   */
  @Test
  void joiningOverTheEventBus_needsAMembersClusterAddress() {
    String eb = " \"transport\": \"eventbus\", \"eventbus\": {\"host\": \"127.0.0.1\", \"port\": 5701";
    NodeConfig joiner = parse("{" + eb + ", \"members\": [\"127.0.0.1:5702\"]}, \"join\": \"http://h:1\", "
        + PLAIN + "}");
    assertEquals("http://h:1", joiner.join());
    assertTrue(joiner.joins());
    NodeConfig readOnly = parse("{" + eb + ", \"members\": [\"127.0.0.1:5702\"]}, \"readOnly\": true,"
        + " \"peers\": [{\"id\": \"n2\", \"url\": \"http://127.0.0.1:2\"}], " + PLAIN + "}");
    assertTrue(readOnly.readOnly() && readOnly.joins());
    ConfigException e = assertThrows(ConfigException.class,
        () -> parse("{" + eb + "}, \"join\": \"http://h:1\", " + PLAIN + "}"));
    assertEquals("eventbus.members", e.key());
    assertTrue(e.getMessage().contains("at least one member"), e.getMessage());
    ConfigException r = assertThrows(ConfigException.class, () -> parse("{" + eb + "},"
        + " \"readOnly\": true, \"peers\": [{\"id\": \"n2\", \"url\": \"http://127.0.0.1:2\"}], " + PLAIN + "}"));
    assertEquals("eventbus.members", r.key());
  }

  @Test
  void everyKeyIsRead() {
    NodeConfig c = parse("{\"nodeId\": \"a.b_c-9\", \"host\": \"node.example\", \"port\": 0,"
        + " \"dataDir\": \"/abs/dir\", \"readOnly\": false, \"join\": null,"
        + " \"transport\": \"eventbus\", \"stateMachine\": \"kv\", \"headTimeoutMs\": 50,"
        + " \"eventbus\": {\"host\": \"10.0.0.1\", \"port\": 5701,"
        + "   \"members\": [\"10.0.0.2:5701\", \"[::1]:5702\"]},"
        + " \"requestTimeoutMs\": 1, \"bodyBytesMax\": 2, \"batchEntriesMax\": 3,"
        + " \"batchBytesMax\": 4, \"pendingEntriesMax\": 5, \"idempotencyKeysMax\": 6,"
        + " \"catchUpEntriesMax\": 7, \"heartbeatMs\": 8, \"walSegmentBytes\": 9000000000, "
        + " \"snapshotEveryEntries\": 10, \"snapshotEveryBytes\": 11, \"snapshotRetainEntries\": 12, \"eventLoops\": 13, "
        + PLAIN + "}");
    assertEquals(new NodeConfig("a.b_c-9", "node.example", 0, Path.of("/abs/dir"), false,
        List.of(), null, "eventbus", "kv", 50, new NodeConfig.Tls(false, null, null, null),
        new NodeConfig.EventBus("10.0.0.1", 5701, List.of("10.0.0.2:5701", "[::1]:5702")),
        new NodeConfig.Limits(1, 2, 3, 4, 5, 6, 7, 8, 9_000_000_000L, 10, 11, 12, 13)), c);
  }

  static Stream<Arguments> rejections() {
    String peer2 = "{\"id\": \"n2\", \"url\": \"http://127.0.0.1:6970\"}";
    return Stream.of(
        // key the error must name, a fragment of its message, the config
        Arguments.of("foo", "unknown key", "{\"foo\": 1}"),
        Arguments.of("tls.bogus", "unknown key", "{\"tls\": {\"bogus\": 1}}"),
        Arguments.of("peers[0].name", "unknown key",
            "{\"peers\": [{\"id\": \"n2\", \"url\": \"http://h:1\", \"name\": \"x\"}], " + PLAIN + "}"),
        Arguments.of("eventbus.extra", "unknown key",
            "{\"eventbus\": {\"host\": \"h\", \"port\": 1, \"extra\": 1}}"),
        Arguments.of("port", "must be an integer, got \"6969\"", "{\"port\": \"6969\"}"),
        Arguments.of("port", "must be an integer, got 1.5", "{\"port\": 1.5}"),
        Arguments.of("port", "must be in 0..65535, got 65536", "{\"port\": 65536}"),
        Arguments.of("port", "must be in 0..65535, got -1", "{\"port\": -1}"),
        Arguments.of("eventLoops", "must be in 1..1024, got 0", "{\"eventLoops\": 0}"),
        Arguments.of("eventLoops", "must be in 1..1024, got 5000", "{\"eventLoops\": 5000}"),
        Arguments.of("readOnly", "must be true or false", "{\"readOnly\": \"yes\"}"),
        Arguments.of("nodeId", "must be a string", "{\"nodeId\": 7}"),
        Arguments.of("nodeId", "must match", "{\"nodeId\": \"-n1\"}"),
        Arguments.of("nodeId", "must match", "{\"nodeId\": \"" + "a".repeat(65) + "\"}"),
        Arguments.of("nodeId", "must not be empty", "{\"nodeId\": \"\"}"),
        Arguments.of("host", "must be a host name", "{\"host\": \"a b\"}"),
        Arguments.of("dataDir", "must not be empty", "{\"dataDir\": \" \"}"),
        Arguments.of("peers", "must be an array", "{\"peers\": {}}"),
        Arguments.of("peers[0]", "must be an object", "{\"peers\": [\"n2\"]}"),
        Arguments.of("peers[0].url", "is required", "{\"peers\": [{\"id\": \"n2\"}]}"),
        Arguments.of("peers[0].id", "is required", "{\"peers\": [{\"url\": \"http://h:1\"}]}"),
        Arguments.of("peers[1].id", "duplicate peer id \"n2\"",
            "{\"peers\": [" + peer2 + ", " + peer2 + "], " + PLAIN + "}"),
        Arguments.of("peers[0].id", "is this node's own nodeId",
            "{\"peers\": [{\"id\": \"n1\", \"url\": \"http://h:1\"}], " + PLAIN + "}"),
        Arguments.of("peers[0].id", "must match",
            "{\"peers\": [{\"id\": \"n 2\", \"url\": \"http://h:1\"}], " + PLAIN + "}"),
        Arguments.of("peers[1].url", "not a valid http(s) URL: \"foo\"",
            "{\"peers\": [" + peer2 + ", {\"id\": \"n3\", \"url\": \"foo\"}], " + PLAIN + "}"),
        Arguments.of("peers[0].url", "needs an explicit port",
            "{\"peers\": [{\"id\": \"n2\", \"url\": \"http://h\"}], " + PLAIN + "}"),
        Arguments.of("peers[0].url", "without a path",
            "{\"peers\": [{\"id\": \"n2\", \"url\": \"http://h:1/x\"}], " + PLAIN + "}"),
        Arguments.of("peers[0].url", "not a valid http(s) URL",
            "{\"peers\": [{\"id\": \"n2\", \"url\": \"ftp://h:1\"}], " + PLAIN + "}"),
        Arguments.of("peers[0].url", "must use https because tls.enabled is true",
            "{\"peers\": [" + peer2 + "], " + TLS_FILES + "}"),
        Arguments.of("peers[0].url", "must use http because tls.enabled is false",
            "{\"peers\": [{\"id\": \"n2\", \"url\": \"https://h:1\"}], " + PLAIN + "}"),
        Arguments.of("join", "not a valid http(s) URL", "{\"join\": \"n2\", " + PLAIN + "}"),
        Arguments.of("join", "must be a string", "{\"join\": 5, " + PLAIN + "}"),
        Arguments.of("transport", "is not on the classpath", "{\"transport\": \"pigeon\"}"),
        Arguments.of("transport", "does not implement io.vertx.core.Deployable",
            "{\"transport\": \"java.lang.String\"}"),
        Arguments.of("stateMachine", "is not on the classpath",
            "{\"stateMachine\": \"no.such.Machine\"}"),
        Arguments.of("stateMachine", "does not implement",
            "{\"stateMachine\": \"java.lang.String\"}"),
        Arguments.of("headTimeoutMs", "must be in 50..600000, got 49", "{\"headTimeoutMs\": 49}"),
        Arguments.of("headTimeoutMs", "must be in 50..600000, got 600001",
            "{\"headTimeoutMs\": 600001}"),
        Arguments.of("bodyBytesMax", "must be in 1..2147483647, got 0", "{\"bodyBytesMax\": 0}"),
        Arguments.of("bodyBytesMax", "got 2147483648", "{\"bodyBytesMax\": 2147483648}"),
        Arguments.of("heartbeatMs", "got -5", "{\"heartbeatMs\": -5}"),
        Arguments.of("walSegmentBytes", "must be an integer", "{\"walSegmentBytes\": \"1\"}"),
        Arguments.of("eventbus", "is required with transport \"eventbus\"",
            "{\"transport\": \"eventbus\"}"),
        Arguments.of("eventbus.host", "is required",
            "{\"transport\": \"eventbus\", \"eventbus\": {\"port\": 5701}}"),
        Arguments.of("eventbus.port", "must be in 1..65535, got 0",
            "{\"transport\": \"eventbus\", \"eventbus\": {\"host\": \"h\", \"port\": 0}}"),
        Arguments.of("eventbus.members[1]", "must be \"host:port\"",
            "{\"transport\": \"eventbus\", \"eventbus\": {\"host\": \"h\", \"port\": 1,"
                + " \"members\": [\"a:1\", \"nohost\"]}}"),
        Arguments.of("tls", "must be an object", "{\"tls\": true}"),
        Arguments.of("tls.keyPath", "is required when any of",
            "{\"tls\": {\"certPath\": \"certs/n1.crt\"}}"),
        Arguments.of("tls.caPath", "not a file: ",
            "{\"tls\": {\"certPath\": \"certs/n1.crt\", \"keyPath\": \"certs/n1.key\","
                + " \"caPath\": \"certs/missing.crt\"}}"),
        Arguments.of("tls", "deploy/gen-certs.sh",
            "{\"peers\": [{\"id\": \"n2\", \"url\": \"https://h:1\"}]}"),
        Arguments.of("tls", "with join", "{\"join\": \"https://h:1\"}"),
        Arguments.of("readOnly", "needs peers or join", "{\"readOnly\": true}"));
  }

  @ParameterizedTest(name = "{0}: {1}")
  @MethodSource("rejections")
  void rejectsNamingTheKey(String key, String fragment, String json) {
    ConfigException e = assertThrows(ConfigException.class, () -> parse(json));
    assertEquals(key, e.key(), e.getMessage());
    assertTrue(e.getMessage().startsWith("config key '" + key + "': "), e.getMessage());
    assertTrue(e.getMessage().contains(fragment), e.getMessage());
  }

  @Test
  void exampleMessageFromTheBrief() {
    ConfigException e = assertThrows(ConfigException.class, () -> parse("{\"peers\": ["
        + "{\"id\": \"n2\", \"url\": \"http://a:1\"}, {\"id\": \"n3\", \"url\": \"foo\"}], "
        + PLAIN + "}"));
    assertEquals("config key 'peers[1].url': not a valid http(s) URL: \"foo\"", e.getMessage());
  }

  @Test
  void missingTlsFileNamesTheFile() {
    ConfigException e = assertThrows(ConfigException.class, () -> parse("{\"tls\": {"
        + "\"certPath\": \"certs/n1.crt\", \"keyPath\": \"nope.key\", \"caPath\": \"certs/ca.crt\"}}"));
    assertTrue(e.getMessage().contains(dir.resolve("nope.key").toString()), e.getMessage());
  }

  @Test
  void relativePathsResolveAgainstTheBaseDirectory() {
    NodeConfig c = parse("{\"dataDir\": \"./x/../d\", " + TLS_FILES + "}");
    assertEquals(dir.resolve("d"), c.dataDir());
    assertEquals(dir.resolve("certs/n1.key").toString(), c.tls().keyPath());
    assertTrue(Path.of(c.tls().certPath()).isAbsolute());
  }

  @Test
  void aStateMachineClassImplementingTheInterfaceIsAccepted() {
    NodeConfig c = parse("{\"stateMachine\": \"" + TestMachine.class.getName() + "\"}");
    assertEquals(TestMachine.class.getName(), c.stateMachine());
  }

  @Test
  void aTransportClassImplementingDeployableIsAccepted() {
    String name = io.vertx.core.AbstractVerticle.class.getName();
    assertEquals(name, parse("{\"transport\": \"" + name + "\"}").transport());
  }

  @Test
  void theInputIsNotChanged() {
    JsonObject json = new JsonObject("{\"port\": 1}");
    ConfigParser.parse(json, Map.of("RAFTSIMPLE_PORT", "2", "RAFTSIMPLE_TLS_ENABLED", "false"), dir);
    assertEquals(new JsonObject("{\"port\": 1}"), json);
  }

  /** A public no-arg StateMachine, for the class-name check. */
  public static final class TestMachine implements raftsimple.statemachine.StateMachine {
    @Override
    public raftsimple.statemachine.Verdict validate(com.fasterxml.jackson.databind.JsonNode p) {
      throw new UnsupportedOperationException();
    }

    @Override
    public raftsimple.statemachine.Applied apply(com.fasterxml.jackson.databind.JsonNode p) {
      throw new UnsupportedOperationException();
    }

    @Override
    public byte[] snapshot() {
      return new byte[0];
    }

    @Override
    public void restore(byte[] snapshot) {}
  }
}
