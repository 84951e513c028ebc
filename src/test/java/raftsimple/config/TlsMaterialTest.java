package raftsimple.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.http.ClientAuth;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TlsMaterialTest {
  @TempDir Path dir;

  private NodeConfig config(String json) {
    return ConfigParser.parse(new JsonObject(json), Map.of(), dir);
  }

  private X509Certificate certificate(Path file) throws Exception {
    return (X509Certificate) CertificateFactory.getInstance("X.509")
        .generateCertificate(new ByteArrayInputStream(Files.readAllBytes(file)));
  }

  @Test
  void selfSignedIsGeneratedOnceThenReused() throws Exception {
    NodeConfig c = config("{\"dataDir\": \"d\", \"host\": \"10.9.8.7\"}");
    TlsMaterial first = TlsMaterial.load(c);
    Path cert = dir.resolve("d/tls/node.crt");
    Path key = dir.resolve("d/tls/node.key");
    assertTrue(Files.isRegularFile(cert) && Files.isRegularFile(key));
    assertTrue(first.enabled());
    assertFalse(first.mutual());
    assertEquals("https", first.scheme());
    assertTrue(first.fingerprint().matches("([0-9A-F]{2}:){31}[0-9A-F]{2}"), first.fingerprint());
    assertEquals(TlsMaterial.fingerprint(certificate(cert)), first.fingerprint());

    TlsMaterial second = TlsMaterial.load(c);
    assertEquals(first.fingerprint(), second.fingerprint(), "reused, not regenerated");

    Files.delete(cert);
    assertNotEquals(first.fingerprint(), TlsMaterial.load(c).fingerprint(), "regenerated");
  }

  @Test
  void keyIsOwnerOnly() throws Exception {
    TlsMaterial.load(config("{\"dataDir\": \"d\"}"));
    if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
      assertEquals("rw-------", PosixFilePermissions.toString(
          Files.getPosixFilePermissions(dir.resolve("d/tls/node.key"))));
      assertEquals("rwx------", PosixFilePermissions.toString(
          Files.getPosixFilePermissions(dir.resolve("d/tls"))));
    }
  }

  @Test
  void selfSignedCoversLocalhostLoopbackAndTheHostForTenYears() throws Exception {
    TlsMaterial.load(config("{\"dataDir\": \"d\", \"host\": \"node.example\"}"));
    X509Certificate cert = certificate(dir.resolve("d/tls/node.crt"));
    Set<String> sans = cert.getSubjectAlternativeNames().stream()
        .map(san -> san.get(1).toString()).collect(Collectors.toSet());
    assertEquals(Set.of("localhost", "127.0.0.1", "node.example"), sans);
    Instant notAfter = cert.getNotAfter().toInstant();
    assertTrue(notAfter.isAfter(Instant.now().plus(Duration.ofDays(3_649))), notAfter.toString());
    assertTrue(cert.getExtendedKeyUsage().containsAll(
        List.of("1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2")), "serverAuth and clientAuth");
    assertEquals("EC", cert.getPublicKey().getAlgorithm());
  }

  @Test
  void aCorruptSelfSignedCertificateNamesTheFile() throws IOException {
    NodeConfig c = config("{\"dataDir\": \"d\"}");
    TlsMaterial.load(c);
    Path cert = dir.resolve("d/tls/node.crt");
    Files.writeString(cert, "garbage");
    ConfigException e = assertThrows(ConfigException.class, () -> TlsMaterial.load(c));
    assertTrue(e.getMessage().contains(cert.toString()), e.getMessage());
    assertTrue(e.getMessage().contains("delete node.crt and node.key"), e.getMessage());
  }

  @Test
  void configuredFilesThatAreNotPemNameTheKey() throws IOException {
    for (String f : List.of("a.crt", "a.key", "ca.crt")) {
      Files.writeString(dir.resolve(f), "not pem");
    }
    NodeConfig c = config("{\"tls\": {\"certPath\": \"a.crt\", \"keyPath\": \"a.key\","
        + " \"caPath\": \"ca.crt\"}}");
    ConfigException e = assertThrows(ConfigException.class, () -> TlsMaterial.load(c));
    assertEquals("tls.certPath", e.key());
    assertTrue(e.getMessage().startsWith("config key 'tls.certPath': "), e.getMessage());
  }

  @Test
  void disabledIsPlainHttp() {
    NodeConfig c = config("{\"port\": 0, \"tls\": {\"enabled\": false}}");
    TlsMaterial plain = TlsMaterial.load(c);
    assertFalse(plain.enabled());
    assertEquals("http", plain.scheme());
    HttpServerOptions server = plain.serverOptions(c);
    assertFalse(server.isSsl());
    assertEquals(0, server.getPort());
    assertEquals("127.0.0.1", server.getHost());
    assertFalse(plain.peerClientOptions().isSsl());
    assertFalse(Files.exists(dir.resolve("data")), "nothing written without TLS");
  }

  @Test
  void selfSignedServerDoesNotAskForClientCertificates() {
    NodeConfig c = config("{\"port\": 0}");
    HttpServerOptions server = TlsMaterial.load(c).serverOptions(c);
    assertTrue(server.isSsl());
    assertEquals(ClientAuth.NONE, server.getClientAuth());
  }
}
