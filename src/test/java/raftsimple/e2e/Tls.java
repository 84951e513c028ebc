package raftsimple.e2e;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/** Certificates from deploy/gen-certs.sh, and SSL contexts for the test clients. */
final class Tls {
  private Tls() {}

  /** Skips the test (JUnit assumption) when openssl is not installed. */
  static void assumeOpenssl() {
    boolean present;
    try {
      Process p = new ProcessBuilder("openssl", "version").redirectErrorStream(true).start();
      p.getInputStream().readAllBytes();
      present = p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
    } catch (IOException e) {
      present = false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      present = false;
    }
    assumeTrue(present, "openssl is not installed; the TLS tests need it (deploy/gen-certs.sh)");
  }

  /** Runs {@code deploy/gen-certs.sh -o outdir names...}; fails the test if it fails. */
  static void generate(Path outdir, String... names) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of("bash",
        E2e.projectDir().resolve("deploy/gen-certs.sh").toString(), "-o", outdir.toString()));
    command.addAll(List.of(names));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly().waitFor();
      throw new AssertionError("gen-certs.sh did not finish within 60 s: " + out);
    }
    if (p.exitValue() != 0) {
      throw new AssertionError("gen-certs.sh failed with " + p.exitValue() + ": " + out);
    }
  }

  /** A client context that trusts {@code caPem} only and has no client certificate. */
  static SSLContext trusting(Path caPem) throws IOException, GeneralSecurityException {
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(null, trustManagers(caPem).getTrustManagers(), null);
    return ctx;
  }

  /** A client context that trusts {@code caPem} and presents {@code certPem}/{@code keyPem}. */
  static SSLContext withClientCert(Path caPem, Path certPem, Path keyPem)
      throws IOException, GeneralSecurityException {
    KeyStore ks = KeyStore.getInstance("PKCS12");
    ks.load(null, null);
    char[] pw = "e2e".toCharArray();
    List<Certificate> chain = certificates(certPem);
    ks.setKeyEntry("client", privateKey(keyPem), pw, chain.toArray(new Certificate[0]));
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(ks, pw);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(kmf.getKeyManagers(), trustManagers(caPem).getTrustManagers(), null);
    return ctx;
  }

  private static TrustManagerFactory trustManagers(Path caPem) throws IOException, GeneralSecurityException {
    KeyStore ts = KeyStore.getInstance("PKCS12");
    ts.load(null, null);
    int i = 0;
    for (Certificate c : certificates(caPem)) {
      ts.setCertificateEntry("ca" + i++, c);
    }
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(ts);
    return tmf;
  }

  private static List<Certificate> certificates(Path pem) throws IOException, GeneralSecurityException {
    CertificateFactory cf = CertificateFactory.getInstance("X.509");
    try (InputStream in = Files.newInputStream(pem)) {
      return new ArrayList<>(cf.generateCertificates(in));
    }
  }

  /** A PKCS#8 PEM EC key ("BEGIN PRIVATE KEY"), as openssl genpkey writes it. */
  private static PrivateKey privateKey(Path pem) throws IOException, GeneralSecurityException {
    String text = Files.readString(pem, StandardCharsets.US_ASCII);
    String begin = "-----BEGIN PRIVATE KEY-----";
    String end = "-----END PRIVATE KEY-----";
    int b = text.indexOf(begin);
    int e = text.indexOf(end);
    if (b < 0 || e < b) {
      throw new IllegalArgumentException(pem + " is not a PKCS#8 PEM private key");
    }
    byte[] der = Base64.getMimeDecoder().decode(text.substring(b + begin.length(), e));
    return KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(der));
  }
}
