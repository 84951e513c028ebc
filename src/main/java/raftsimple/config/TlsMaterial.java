package raftsimple.config;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.ext.web.client.WebClientOptions;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.SSLPeerUnverifiedException;

/**
 * The node's TLS identity and trust, read once at start (blocking file I/O: call it before
 * Vert.x runs, or from a worker), shared by the ingress (server) and the HTTPS transport (client).
 *
 * <ul>
 *   <li>{@code tls.enabled: false}: plain HTTP, no material.
 *   <li>{@code certPath/keyPath/caPath} given: this node's key and certificate, and the CA that
 *       signed every member's certificate. The server asks clients for a certificate
 *       ({@link ClientAuth#REQUEST}): clients of the public API have none and are served; a client
 *       that presents one not signed by the CA fails the TLS handshake: the JDK engine answers
 *       with the alert {@code certificate_unknown} and no request is processed (verified by
 *       {@code MutualTlsTest}); so a connection with a peer certificate has a verified one, and
 *       {@code /peer/} routes must insist on it with {@link #verifiedPeer} (403 without).
 *   <li>no paths (the no-config default): a self-signed certificate generated on first start in
 *       {@code <dataDir>/tls} and reused after; no CA, so no mutual TLS (the parser only allows
 *       this for a node with no peers and no join).
 * </ul>
 */
public final class TlsMaterial {
  private static final System.Logger LOG = System.getLogger(TlsMaterial.class.getName());

  private final boolean enabled;
  private final Buffer certPem;
  private final Buffer keyPem;
  private final Buffer caPem;
  private final String fingerprint;

  private TlsMaterial(boolean enabled, Buffer certPem, Buffer keyPem, Buffer caPem, String fp) {
    this.enabled = enabled;
    this.certPem = certPem;
    this.keyPem = keyPem;
    this.caPem = caPem;
    this.fingerprint = fp;
  }

  /** Plain HTTP. */
  public static TlsMaterial disabled() {
    return new TlsMaterial(false, null, null, null, null);
  }

  /**
   * Reads (or, without paths, generates or reuses) the material for {@code config}. Blocking.
   *
   * @throws ConfigException naming the key or file when a file is not what it should be
   */
  public static TlsMaterial load(NodeConfig config) {
    NodeConfig.Tls tls = config.tls();
    if (!tls.enabled()) {
      return disabled();
    }
    if (tls.certPath() == null) {
      return selfSigned(config);
    }
    Buffer cert = read("tls.certPath", Path.of(tls.certPath()));
    Buffer key = read("tls.keyPath", Path.of(tls.keyPath()));
    Buffer ca = read("tls.caPath", Path.of(tls.caPath()));
    X509Certificate own = certificates("tls.certPath", tls.certPath(), cert).get(0);
    certificates("tls.caPath", tls.caPath(), ca);
    checkKey("tls.keyPath", tls.keyPath(), key);
    String fp = fingerprint(own);
    LOG.log(Level.INFO, "TLS: certificate {0} (SHA-256 {1}), CA {2}, peers need a certificate "
        + "signed by that CA", tls.certPath(), fp, tls.caPath());
    return new TlsMaterial(true, cert, key, ca, fp);
  }

  private static TlsMaterial selfSigned(NodeConfig config) {
    Path dir = config.dataDir().resolve(SelfSigned.DIR);
    Path certFile = dir.resolve(SelfSigned.CERT);
    Path keyFile = dir.resolve(SelfSigned.KEY);
    boolean reuse = Files.isRegularFile(certFile) && Files.isRegularFile(keyFile);
    if (!reuse) {
      try {
        SelfSigned.generate(dir, config.nodeId(), config.host());
      } catch (IOException e) {
        throw new ConfigException("dataDir", "config key 'dataDir': cannot write the self-signed "
            + "certificate into " + dir + ": " + e, e);
      }
    }
    Buffer cert = read(certFile.toString(), certFile);
    Buffer key = read(keyFile.toString(), keyFile);
    String fp = fingerprint(certificates(certFile.toString(), certFile.toString(), cert).get(0));
    checkKey(keyFile.toString(), keyFile.toString(), key);
    LOG.log(Level.INFO, "TLS: {0} self-signed certificate {1} (SHA-256 {2}); clients must trust "
        + "this file, e.g. curl --cacert {1}", reuse ? "reusing" : "generated", certFile, fp);
    return new TlsMaterial(true, cert, key, null, fp);
  }

  public boolean enabled() {
    return enabled;
  }

  /** {@code https} or {@code http}: the scheme of this node's URLs. */
  public String scheme() {
    return enabled ? "https" : "http";
  }

  /** True when peers authenticate each other (a CA is configured). */
  public boolean mutual() {
    return caPem != null;
  }

  /** SHA-256 fingerprint of this node's certificate ({@code AB:CD:...}), or null without TLS. */
  public String fingerprint() {
    return fingerprint;
  }

  /** Options for the node's HTTP server on {@code config.host():config.port()}. */
  public HttpServerOptions serverOptions(NodeConfig config) {
    HttpServerOptions options = new HttpServerOptions().setHost(config.host()).setPort(config.port());
    if (!enabled) {
      return options;
    }
    options.setSsl(true).setKeyCertOptions(keyCert());
    if (mutual()) {
      // REQUEST, not REQUIRED: API clients have no certificate; /peer/ routes check verifiedPeer.
      options.setTrustOptions(new PemTrustOptions().addCertValue(caPem))
          .setClientAuth(ClientAuth.REQUEST);
    }
    return options;
  }

  /**
   * Options for a client that talks to peers: presents this node's certificate (mutual TLS),
   * trusts the CA (or, self-signed, only this node's own certificate) and verifies host names.
   */
  public WebClientOptions peerClientOptions() {
    WebClientOptions options = new WebClientOptions();
    if (!enabled) {
      return options;
    }
    return options
        .setSsl(true)
        .setVerifyHost(true)
        .setKeyCertOptions(keyCert())
        .setTrustOptions(new PemTrustOptions().addCertValue(mutual() ? caPem : certPem));
  }

  private PemKeyCertOptions keyCert() {
    return new PemKeyCertOptions().setCertValue(certPem).setKeyValue(keyPem);
  }

  /**
   * The client certificate of a connection to our server, if the client presented one. With a
   * CA configured, a presented certificate was verified against it during the handshake (an
   * untrusted one fails the handshake), so a present value identifies a cluster member.
   */
  public static Optional<X509Certificate> verifiedPeer(HttpConnection connection) {
    if (!connection.isSsl()) {
      return Optional.empty();
    }
    try {
      List<Certificate> chain = connection.peerCertificates();
      return chain == null || chain.isEmpty() || !(chain.get(0) instanceof X509Certificate)
          ? Optional.empty()
          : Optional.of((X509Certificate) chain.get(0));
    } catch (SSLPeerUnverifiedException e) {
      return Optional.empty();
    }
  }

  /**
   * True when a certificate subject ({@code CN=n1,O=...}, as {@code X500Principal.getName()}
   * prints it) has {@code nodeId} as its common name: how a peer's certificate names the node it
   * belongs to (deploy/gen-certs.sh). Shared by the ingress (checks a peer stream's claimed id when
   * it opens) and the HTTPS transport (checks every envelope's {@code from}).
   */
  public static boolean certNames(String subject, String nodeId) {
    for (String part : subject.split(",")) {
      String p = part.trim();
      if (p.regionMatches(true, 0, "CN=", 0, 3)) {
        return p.substring(3).trim().equals(nodeId);
      }
    }
    return false;
  }

  private static Buffer read(String key, Path file) {
    try {
      return Buffer.buffer(Files.readAllBytes(file));
    } catch (IOException e) {
      throw problem(key, "cannot read " + file + ": " + e, e);
    }
  }

  private static List<X509Certificate> certificates(String key, String file, Buffer pem) {
    try {
      Collection<? extends Certificate> all = CertificateFactory.getInstance("X.509")
          .generateCertificates(new ByteArrayInputStream(pem.getBytes()));
      if (all.isEmpty()) {
        throw new CertificateException("no certificate found");
      }
      return all.stream().map(c -> (X509Certificate) c).toList();
    } catch (CertificateException e) {
      throw problem(key, file + " is not a PEM certificate: " + e.getMessage(), e);
    }
  }

  private static void checkKey(String key, String file, Buffer pem) {
    String text = pem.toString();
    if (!text.contains("-----BEGIN") || !text.contains("PRIVATE KEY-----")) {
      throw problem(key, file + " is not a PEM private key", null);
    }
  }

  /**
   * A bad TLS file: named by its config key when configured, else (the generated pair in dataDir)
   * by its path, with the way out.
   */
  private static ConfigException problem(String key, String detail, Throwable cause) {
    if (key.startsWith("tls.")) {
      return new ConfigException(key, "config key '" + key + "': " + detail, cause);
    }
    return new ConfigException(key, "self-signed TLS file: " + detail + " (delete node.crt and "
        + "node.key in " + Path.of(key).getParent() + " to generate a new pair)", cause);
  }

  /** SHA-256 over the DER certificate, as upper-case hex pairs joined by ':' (like openssl). */
  static String fingerprint(X509Certificate cert) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(cert.getEncoded());
      return HexFormat.ofDelimiter(":").withUpperCase().formatHex(digest);
    } catch (NoSuchAlgorithmException | CertificateException e) {
      throw new IllegalStateException("cannot fingerprint a certificate", e);
    }
  }
}
