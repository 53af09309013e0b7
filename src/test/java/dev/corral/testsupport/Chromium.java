package dev.corral.testsupport;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

import org.junit.jupiter.api.Assumptions;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * Debian's headless Chromium driven by Selenium, shared by the browser tests.
 * Controls are found by their accessible names, as a screen reader would. Without Chromium (and outside CI) the
 * tests using it report themselves skipped.
 */
public final class Chromium implements AutoCloseable {

    private static final String CHROMIUM = "/usr/bin/chromium";
    private static final String CHROMEDRIVER = "/usr/bin/chromedriver";

    private final WebDriver driver;

    private Chromium(WebDriver driver) {
        this.driver = driver;
    }

    public static Chromium start() throws Exception {
        boolean installed = new File(CHROMIUM).canExecute() && new File(CHROMEDRIVER).canExecute();
        if (!"true".equalsIgnoreCase(System.getenv("CI"))) {
            Assumptions.assumeTrue(installed, "Debian's chromium and chromium-driver are not installed (test.sh installs them)");
        }
        Path profile = Files.createTempDirectory("corral-chromium-");
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM);
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
                "--disable-quic", "--window-size=1280,900", "--user-data-dir=" + profile);
        // The console, to find Content-Security-Policy violations (Chromium reports each one there).
        options.setCapability("goog:loggingPrefs", Map.of("browser", "ALL"));
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(new File(CHROMEDRIVER)).usingAnyFreePort().build();
        return new Chromium(new ChromeDriver(service, options));
    }

    public WebDriver driver() {
        return driver;
    }

    /** Signs in on the login page and waits for the chat screen. */
    public void signIn(String baseUrl, String username, String password) {
        driver.manage().deleteAllCookies();
        driver.get(baseUrl + "/login");
        type(named("input", "Username"), username);
        type(named("input", "Password"), password);
        named("button", "Sign in").click();
        waitUntil("signed in", () -> !driver.findElements(By.cssSelector("textarea")).isEmpty());
    }

    /** The visible element of the given tag whose computed accessible name is exactly {@code name}. */
    public WebElement named(String tag, String name) {
        List<String> seen = new ArrayList<>();
        WebElement[] found = new WebElement[1];
        waitUntil(tag + " named '" + name + "' (seen: " + seen + ")", () -> {
            seen.clear();
            for (WebElement element : driver.findElements(By.tagName(tag))) {
                try {
                    if (!element.isDisplayed()) {
                        continue;
                    }
                    String accessibleName = element.getAccessibleName();
                    seen.add(accessibleName);
                    if (name.equals(accessibleName)) {
                        found[0] = element;
                        return true;
                    }
                } catch (StaleElementReferenceException e) {
                    // The page re-rendered; look again.
                }
            }
            return false;
        });
        return found[0];
    }

    public void type(WebElement field, String text) {
        field.clear();
        field.sendKeys(text);
    }

    public void waitUntil(String what, BooleanSupplier condition) {
        new WebDriverWait(driver, Duration.ofSeconds(15)).withMessage(what).until(d -> {
            try {
                return condition.getAsBoolean();
            } catch (StaleElementReferenceException | org.openqa.selenium.NoSuchElementException
                     | java.util.NoSuchElementException e) {
                return false; // the page is re-rendering
            }
        });
    }

    public Object script(String js, Object... args) {
        return ((JavascriptExecutor) driver).executeScript(js, args);
    }

    @Override
    public void close() {
        driver.quit();
    }
}
