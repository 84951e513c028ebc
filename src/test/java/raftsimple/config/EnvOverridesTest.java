package raftsimple.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EnvOverridesTest {
  @TempDir Path dir;

  private NodeConfig parse(String json, Map<String, String> env) {
    return ConfigParser.parse(new JsonObject(json), env, dir);
  }

  @Test
  void variableNamesAreUpperSnakeOfTheKeys() {
    List<String> names = ConfigParser.environmentVariables();
    assertTrue(names.containsAll(List.of("RAFTSIMPLE_NODE_ID", "RAFTSIMPLE_HOST", "RAFTSIMPLE_PORT",
        "RAFTSIMPLE_DATA_DIR", "RAFTSIMPLE_READ_ONLY", "RAFTSIMPLE_JOIN", "RAFTSIMPLE_TRANSPORT",
        "RAFTSIMPLE_STATE_MACHINE", "RAFTSIMPLE_HEAD_TIMEOUT_MS", "RAFTSIMPLE_TLS_ENABLED",
        "RAFTSIMPLE_REQUEST_TIMEOUT_MS", "RAFTSIMPLE_BODY_BYTES_MAX", "RAFTSIMPLE_BATCH_ENTRIES_MAX",
        "RAFTSIMPLE_BATCH_BYTES_MAX", "RAFTSIMPLE_PENDING_ENTRIES_MAX",
        "RAFTSIMPLE_IDEMPOTENCY_KEYS_MAX", "RAFTSIMPLE_CATCH_UP_ENTRIES_MAX",
        "RAFTSIMPLE_HEARTBEAT_MS", "RAFTSIMPLE_WAL_SEGMENT_BYTES")), names.toString());
    assertEquals(10 + NodeConfig.Limits.class.getRecordComponents().length, names.size());
  }

  @Test
  void variablesOverrideTheFileAndTakeTheKeysType() {
    NodeConfig c = parse(
        "{\"port\": 6969, \"nodeId\": \"a\", \"peers\": [{\"id\": \"b\", \"url\": \"http://h:1\"}],"
            + " \"join\": \"http://h:1\"}",
        Map.of("RAFTSIMPLE_PORT", " 7000 ", "RAFTSIMPLE_NODE_ID", "z",
            "RAFTSIMPLE_TLS_ENABLED", "FALSE", "RAFTSIMPLE_READ_ONLY", "true",
            "RAFTSIMPLE_JOIN", "", "RAFTSIMPLE_HEAD_TIMEOUT_MS", "2000",
            "RAFTSIMPLE_BODY_BYTES_MAX", "10", "RAFTSIMPLE_WAL_SEGMENT_BYTES", "4096",
            "RAFTSIMPLE_DATA_DIR", "elsewhere", "RAFTSIMPLE_HOST", "0.0.0.0"));
    assertEquals(7000, c.port());
    assertEquals("z", c.nodeId());
    assertFalse(c.tls().enabled());
    assertTrue(c.readOnly());
    assertNull(c.join());
    assertEquals(2000, c.headTimeoutMs());
    assertEquals(10, c.limits().bodyBytesMax());
    assertEquals(4096, c.limits().walSegmentBytes());
    assertEquals(dir.resolve("elsewhere"), c.dataDir());
    assertEquals("0.0.0.0", c.host());
  }

  @Test
  void tlsEnabledOverrideKeepsTheFilesOtherTlsKeys() {
    ConfigException e = assertThrows(ConfigException.class, () -> parse(
        "{\"tls\": {\"enabled\": true, \"certPath\": \"a.crt\"}}",
        Map.of("RAFTSIMPLE_TLS_ENABLED", "false")));
    assertEquals("tls.certPath", e.key(), "certPath from the file is still validated");
  }

  @Test
  void unrelatedVariablesAreIgnored() {
    NodeConfig c = parse("{}", Map.of("PATH", "/bin", "RAFTSIMPLE_NOT_A_KEY", "1",
        "RAFTSIMPLE_PEERS", "[]", "raftsimple_port", "1"));
    assertEquals(6969, c.port());
  }

  @Test
  void aValueOfTheWrongTypeNamesTheVariable() {
    ConfigException e = assertThrows(ConfigException.class,
        () -> parse("{}", Map.of("RAFTSIMPLE_PORT", "abc")));
    assertEquals("RAFTSIMPLE_PORT", e.key());
    assertEquals("environment variable RAFTSIMPLE_PORT: not an integer: \"abc\"", e.getMessage());
    e = assertThrows(ConfigException.class,
        () -> parse("{}", Map.of("RAFTSIMPLE_READ_ONLY", "yes")));
    assertEquals("environment variable RAFTSIMPLE_READ_ONLY: not true or false: \"yes\"",
        e.getMessage());
  }

  @Test
  void aValueOutOfRangeNamesTheVariableAndTheKey() {
    ConfigException e = assertThrows(ConfigException.class,
        () -> parse("{}", Map.of("RAFTSIMPLE_HEAD_TIMEOUT_MS", "10")));
    assertEquals("RAFTSIMPLE_HEAD_TIMEOUT_MS", e.key());
    assertEquals("environment variable RAFTSIMPLE_HEAD_TIMEOUT_MS: config key 'headTimeoutMs': "
        + "must be in 50..600000, got 10", e.getMessage());
    e = assertThrows(ConfigException.class,
        () -> parse("{}", Map.of("RAFTSIMPLE_NODE_ID", "bad id")));
    assertEquals("RAFTSIMPLE_NODE_ID", e.key());
    e = assertThrows(ConfigException.class, () -> parse(
        "{\"peers\": [{\"id\": \"n2\", \"url\": \"https://h:1\"}]}",
        Map.of("RAFTSIMPLE_TLS_ENABLED", "false")));
    assertEquals("peers[0].url", e.key(), "the peer URL is wrong, not the variable");
  }
}
