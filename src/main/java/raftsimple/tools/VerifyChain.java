package raftsimple.tools;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import raftsimple.chain.ChainVerifier;
import raftsimple.chain.Entry;
import raftsimple.chain.Hash;
import raftsimple.chain.LogEntry;
import raftsimple.statemachine.Json;

/**
 * Verifies a node's whole hash chain through its public API ({@code GET /log}), recomputing every
 * txid and chained hash (docs/PROTOCOL.md §2), and checks that the last hash is the node's head.
 *
 * <pre>java -cp target/raftsimple.jar raftsimple.tools.VerifyChain https://127.0.0.1:6969 [ca.crt]</pre>
 *
 * Exit status 0 when the chain verifies, 1 when it does not (the first problem is printed), 2 on
 * usage or connection errors.
 */
public final class VerifyChain {
  private static final int PAGE = 1_000;

  private VerifyChain() {}

  public static void main(String[] args) throws Exception {
    if (args.length < 1 || args.length > 2) {
      System.err.println("usage: VerifyChain <node url> [ca certificate PEM]");
      System.exit(2);
    }
    HttpClient http = client(args.length == 2 ? Path.of(args[1]) : null);
    String base = args[0].replaceAll("/+$", "");
    long length = 0;
    Hash head = Hash.ZERO;
    long first = firstIndex(http, base);
    if (first > 1) {
      // Entries before `first` live only in snapshots: verify from there, trusting its prev.
      JsonNode page = get(http, base + "/log?from=" + first + "&limit=1");
      length = first - 1;
      head = Hash.parse(page.get("entries").get(0).get("prev").asText());
      System.out.println("entries before " + first + " were compacted into a snapshot; verifying from there");
    }
    while (true) {
      JsonNode page = get(http, base + "/log?from=" + (length + 1) + "&limit=" + PAGE);
      List<LogEntry> entries = parse(page.get("entries"));
      String problem = ChainVerifier.firstProblem(length, head, entries);
      if (problem != null) {
        System.out.println("chain BROKEN: " + problem);
        System.exit(1);
      }
      if (!entries.isEmpty()) {
        length = entries.get(entries.size() - 1).index();
        head = entries.get(entries.size() - 1).hash();
      }
      long reported = page.get("length").asLong();
      if (entries.isEmpty() || length >= reported) {
        if (length == reported && !head.hex().equals(page.get("head").asText())) {
          System.out.println("chain BROKEN: the last hash " + head.hex() + " is not the head " + page.get("head").asText());
          System.exit(1);
        }
        break;
      }
    }
    System.out.println("chain OK: " + length + " entries, head " + head.hex());
  }

  /** 1, or the first index still held when a snapshot compacted the log (410 COMPACTED). */
  private static long firstIndex(HttpClient http, String base) throws Exception {
    HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(URI.create(base + "/log?from=1&limit=1"))
        .timeout(Duration.ofSeconds(30)).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
    if (r.statusCode() == 410) {
      return Json.parse(r.body()).get("firstIndex").asLong();
    }
    return 1;
  }

  private static List<LogEntry> parse(JsonNode arr) {
    List<LogEntry> out = new ArrayList<>();
    for (JsonNode e : arr) {
      byte[] payload = Json.compact(e.get("payload"));
      JsonNode key = e.get("idempotencyKey");
      Entry entry = new Entry(Hash.parse(e.get("txid").asText()), e.get("origin").asText(),
          e.get("ts").asLong(), payload, key == null ? null : key.asText());
      out.add(new LogEntry(e.get("index").asLong(), Hash.parse(e.get("prev").asText()),
          Hash.parse(e.get("hash").asText()), entry));
    }
    return out;
  }

  private static JsonNode get(HttpClient http, String url) throws Exception {
    HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(URI.create(url))
        .timeout(Duration.ofSeconds(30)).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
    if (r.statusCode() != 200) {
      System.err.println(url + " answered " + r.statusCode() + ": " + new String(r.body()));
      System.exit(2);
    }
    return Json.parse(r.body());
  }

  private static HttpClient client(Path ca) throws Exception {
    HttpClient.Builder b = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10));
    if (ca != null) {
      KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
      ks.load(null, null);
      try (InputStream in = Files.newInputStream(ca)) {
        int i = 0;
        for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
          ks.setCertificateEntry("ca" + i++, c);
        }
      }
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(ks);
      SSLContext ssl = SSLContext.getInstance("TLS");
      ssl.init(null, tmf.getTrustManagers(), null);
      b.sslContext(ssl);
    }
    return b.build();
  }
}
