package raftsimple.e2e;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.logging.Level;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;

/**
 * Headless Chromium driven by Selenium, for the dashboard test. The browser and its driver are the
 * Debian packages ({@code chromium}, {@code chromium-driver}), both given by path, so Selenium
 * never runs Selenium Manager and nothing is downloaded ({@code -De2e.chromium=...},
 * {@code -De2e.chromedriver=...} point elsewhere). Without them the test is skipped, unless
 * {@code -De2e.requireBrowser=true} (as {@code .ci/run} sets), which makes that a failure.
 *
 * <p>The flags keep Chromium off the network (no component updates, sync, safe browsing or
 * other background fetches), give it a fresh profile in the test's directory, and accept the
 * test cluster's certificates (signed by the test CA, which Chromium does not know). Pages stay
 * secure contexts, so WebCrypto works.
 */
final class Browser implements AutoCloseable {
  static final String CHROMIUM = System.getProperty("e2e.chromium", "/usr/bin/chromium");
  static final String CHROMEDRIVER = System.getProperty("e2e.chromedriver", "/usr/bin/chromedriver");

  /**
   * Selenium's own logger: without a CDP module for this Chromium version it warns on every start,
   * and the test uses no CDP. Held here so that the level sticks (loggers are weakly referenced).
   */
  private static final java.util.logging.Logger QUIET = java.util.logging.Logger.getLogger("org.openqa.selenium");

  final ChromeDriver driver;
  private final ChromeDriverService service;

  private Browser(ChromeDriver driver, ChromeDriverService service) {
    this.driver = driver;
    this.service = service;
  }

  /** Skips the test (or fails it, with {@code -De2e.requireBrowser=true}) without the browser. */
  static void assumeInstalled() {
    boolean present = Files.isExecutable(Path.of(CHROMIUM)) && Files.isExecutable(Path.of(CHROMEDRIVER));
    if (!present && Boolean.getBoolean("e2e.requireBrowser")) {
      throw new AssertionError(CHROMIUM + " or " + CHROMEDRIVER + " is missing: apt-get install "
          + "chromium chromium-driver (.ci/run does)");
    }
    assumeTrue(present, CHROMIUM + " or " + CHROMEDRIVER + " is missing (apt-get install chromium "
        + "chromium-driver); the dashboard's browser test is skipped");
  }

  static Browser start(Path profileDir, Path driverLog) {
    QUIET.setLevel(Level.SEVERE);
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM);
    options.addArguments(List.of(
        "--headless=new",
        "--no-sandbox", // tests may run as root, where Chromium's sandbox refuses to start
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-default-apps",
        "--disable-extensions",
        "--disable-client-side-phishing-detection",
        "--no-first-run",
        "--no-default-browser-check",
        "--metrics-recording-only",
        "--window-size=1440,1180",
        "--user-data-dir=" + profileDir));
    options.setAcceptInsecureCerts(true);
    LoggingPreferences logs = new LoggingPreferences();
    logs.enable(LogType.BROWSER, Level.ALL);
    options.setCapability("goog:loggingPrefs", logs);
    ChromeDriverService service = new ChromeDriverService.Builder()
        .usingDriverExecutable(new File(CHROMEDRIVER))
        .usingAnyFreePort()
        .withLogFile(driverLog.toFile())
        .build();
    ChromeDriver driver;
    try {
      driver = new ChromeDriver(service, options);
    } catch (RuntimeException e) {
      service.stop(); // the driver process may have started even though the session did not
      throw e;
    }
    driver.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(30)).scriptTimeout(Duration.ofSeconds(10));
    return new Browser(driver, service);
  }

  /** Writes a PNG of the window, scrolled to the top, to {@code file} (directories created). */
  void screenshot(Path file) {
    driver.executeScript("window.scrollTo(0, 0); document.activeElement.blur();");
    byte[] png = driver.getScreenshotAs(OutputType.BYTES);
    try {
      Files.createDirectories(file.getParent());
      Files.write(file, png);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The browser console's entries since the last call. */
  List<LogEntry> console() {
    return driver.manage().logs().get(LogType.BROWSER).getAll();
  }

  @Override
  public void close() {
    try {
      driver.quit();
    } finally {
      service.stop();
    }
  }
}
