package raftsimple.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.logging.LogEntry;

/**
 * The web dashboard ({@code /ui}, docs/DASHBOARD.md) in a real browser: headless Chromium (see
 * {@link Browser}) on n1 of a real three-node TLS cluster. In order: the page lists the three
 * members as reachable; an entry submitted through the API shows up within a second, its hashes
 * re-verified in the browser; the page's own form commits an entry; a stopped member is shown
 * unreachable; a tampered entry is flagged as breaking the chain. Screenshots go to {@code
 * target/ui-dashboard.png} (healthy, under load) and {@code target/ui-dashboard-member-down.png}.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DashboardIT {
  @RegisterExtension static final E2e E2E = new E2e();
  static Cluster cluster;
  static Api api;
  static Browser browser;
  static NodeProcess n1;
  static final long STARTED_NANOS = System.nanoTime();

  @BeforeAll
  static void start() throws IOException {
    Browser.assumeInstalled();
    cluster = E2E.cluster(3, false, null);
    api = E2E.api();
    n1 = cluster.node(1);
    for (int i = 1; i <= 5; i++) {
      Api.Resp r = api.submit(n1.url, "{\"op\":\"put\",\"key\":\"before-" + i + "\",\"value\":" + i + "}");
      assertEquals(201, r.status(), r.toString());
    }
    browser = Browser.start(E2E.dir().resolve("chromium-profile"), E2E.dir().resolve("chromedriver.log"));
    browser.driver.get(n1.url.resolve("/ui/").toString());
  }

  @AfterAll
  static void stopBrowser() {
    if (browser != null) {
      browser.close();
    }
    System.out.println("DashboardIT: browser test took " + ms(STARTED_NANOS) + " ms in all (cluster start included)");
  }

  @Test
  @Order(1)
  void listsTheThreeMembersAsReachable() {
    Await.until("the page to list n1, n2, n3 as reachable", Duration.ofSeconds(30),
        DashboardIT::memberRows, rows -> rows.equals(new TreeMap<>(java.util.Map.of(
            "n1", "true", "n2", "true", "n3", "true"))));
    assertTrue(browser.driver.findElement(By.id("node-id")).getText().equals("n1"));
    Await.until("the chain of the first entries to be verified", Duration.ofSeconds(30),
        () -> chainState().equals("intact") && entry(5) != null);
  }

  @Test
  @Order(2)
  void showsAnEntrySubmittedThroughTheApiWithinASecond() throws IOException {
    String value = "seen-" + UUID.randomUUID();
    Api.Resp r = api.submit(n1.url, "{\"op\":\"put\",\"key\":\"dashboard\",\"value\":\"" + value + "\"}");
    assertEquals(201, r.status(), r.toString());
    long answered = System.nanoTime();
    String txid = r.str("txid");
    WebElement li = Await.until("entry " + txid + " on the page", Duration.ofSeconds(1),
        () -> entryByTxid(txid), e -> e != null);
    System.out.println("DashboardIT: the entry was on the page " + ms(answered) + " ms after its 201");
    assertEquals("ok", li.getDomAttribute("data-verified"), "the browser re-verified its hashes");
    assertEquals(Long.toString(r.num("index")), li.getDomAttribute("data-index"));
    assertTrue(li.getText().contains(value), li.getText());
    assertEquals("intact", chainState());
  }

  @Test
  @Order(3)
  void submitsAnEntryThroughItsForm() throws IOException {
    String value = "form-" + UUID.randomUUID();
    WebElement payload = browser.driver.findElement(By.id("payload"));
    payload.clear();
    payload.sendKeys("{\"op\":\"put\",\"key\":\"from-the-form\",\"value\":\"" + value + "\"}");
    browser.driver.findElement(By.id("submit-button")).click();
    WebElement result = Await.until("the form's 201", Duration.ofSeconds(30),
        () -> browser.driver.findElement(By.id("submit-result")),
        e -> "201".equals(e.getDomAttribute("data-status")));
    JsonNode body = Api.tree(result.getText().substring(result.getText().indexOf('\n') + 1));
    String txid = body.get("txid").asText();
    Await.until("the form's entry on the page", Duration.ofSeconds(10), () -> entryByTxid(txid), e -> e != null);
    Api.Resp read = api.get(cluster.node(2).url, "/kv/from-the-form?consistency=linearizable");
    assertEquals(value, read.json().get("value").asText(), read.toString());
  }

  @Test
  @Order(4)
  void drawsCommitRatesUnderLoadWithoutConsoleErrors() throws IOException {
    Writers writers = new Writers(api, n1, 2, (t, seq) -> new Writers.Request("load",
        "{\"op\":\"put\",\"key\":\"load-" + t + "\",\"value\":" + seq + "}", null)).start();
    try {
      Await.until("the commit-rate chart to draw a line", Duration.ofSeconds(30),
          () -> browser.driver.findElements(By.cssSelector("#chart-rate polyline")).size() == 1
              && !browser.driver.findElement(By.id("rate-now")).getText().equals("–")
              && !browser.driver.findElement(By.id("lat-p99")).getText().equals("–"));
      Await.until("a few more samples", Duration.ofSeconds(30), () -> writers.count() >= 200);
    } finally {
      List<Writers.Outcome> outcomes = writers.stop();
      System.out.println("DashboardIT: load " + Writers.summary(outcomes));
    }
    Await.until("the chain to stay intact through the load", Duration.ofSeconds(30),
        () -> chainState().equals("intact") && entry(lastIndex()) != null);
    browser.screenshot(E2e.projectDir().resolve("target/ui-dashboard.png"));
    List<String> severe = new ArrayList<>();
    for (LogEntry e : browser.console()) {
      if (e.getLevel().intValue() >= Level.SEVERE.intValue()) {
        severe.add(e.getMessage());
      }
    }
    assertEquals(List.of(), severe, "browser console errors (a CSP violation or a failed request)");
  }

  @Test
  @Order(5)
  void showsAStoppedMemberAsUnreachable() {
    assertEquals(0, cluster.node(3).term(), "n3 stops cleanly on SIGTERM");
    long stopped = System.nanoTime();
    Await.until("the page to show n3 unreachable", Duration.ofSeconds(20),
        DashboardIT::memberRows, rows -> "false".equals(rows.get("n3"))
            && "true".equals(rows.get("n1")) && "true".equals(rows.get("n2")));
    System.out.println("DashboardIT: n3 shown unreachable " + ms(stopped) + " ms after it stopped");
    browser.screenshot(E2e.projectDir().resolve("target/ui-dashboard-member-down.png"));
  }

  @Test
  @Order(6)
  void flagsAnEntryWhosePayloadWasTamperedWith() throws IOException {
    long last = lastIndex();
    Api.Resp log = api.get(n1.url, "/log?from=" + last + "&limit=1");
    ObjectNode entry = (ObjectNode) log.json().get("entries").get(0);
    String genuine = Api.JSON.writeValueAsString(entry);
    ((ObjectNode) entry.get("payload")).put("value", "tampered");
    String tampered = Api.JSON.writeValueAsString(entry);
    assertTrue(!genuine.equals(tampered));
    browser.driver.executeScript("return window.raftsimple.ingest(arguments[0]);", tampered);
    Await.until("the page to flag the chain as broken", Duration.ofSeconds(10),
        () -> chainState().equals("broken"));
    String status = browser.driver.findElement(By.id("chain-status")).getText();
    assertTrue(status.contains("#" + last) && status.contains("txid does not match"), status);
    WebElement flagged = browser.driver.findElements(By.cssSelector("#entries li")).get(0);
    assertEquals("bad", flagged.getDomAttribute("data-verified"));
  }

  // ---- helpers ----

  /** Member id -> data-reachable of the members table's rows. */
  static TreeMap<String, String> memberRows() {
    TreeMap<String, String> rows = new TreeMap<>();
    for (WebElement tr : browser.driver.findElements(By.cssSelector("#members tbody tr"))) {
      rows.put(tr.getDomAttribute("data-member"), tr.getDomAttribute("data-reachable"));
    }
    return rows;
  }

  static String chainState() {
    return browser.driver.findElement(By.id("chain-status")).getDomAttribute("data-state");
  }

  static WebElement entry(long index) {
    List<WebElement> found = browser.driver.findElements(By.cssSelector("#entries li[data-index='" + index + "']"));
    return found.isEmpty() ? null : found.get(0);
  }

  static WebElement entryByTxid(String txid) {
    List<WebElement> found = browser.driver.findElements(By.cssSelector("#entries li[data-txid='" + txid + "']"));
    return found.isEmpty() ? null : found.get(0);
  }

  static long lastIndex() throws IOException {
    return api.get(n1.url, "/head").num("length");
  }

  static long ms(long sinceNanos) {
    return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - sinceNanos);
  }
}
