package dev.corral.browser;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.WebDriverWait;

import dev.corral.testsupport.ApiClient;
import dev.corral.testsupport.Chromium;
import dev.corral.testsupport.IntegrationTest;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Account page's Sessions section in Chromium: the list with "This device", ending another session by its
 * named button, and "Sign out everywhere", at phone width in dark mode.
 */
class SessionsBrowserIT extends IntegrationTest {

    private static final String FIREFOX_ON_LINUX =
            "Mozilla/5.0 (X11; Linux x86_64; rv:130.0) Gecko/20100101 Firefox/130.0";
    private static Chromium browser;
    private static ChromeDriver driver;

    @BeforeAll
    static void startBrowser() throws Exception {
        browser = Chromium.start();
        driver = (ChromeDriver) browser.driver();
    }

    @AfterAll
    static void stopBrowser() {
        if (browser != null) {
            browser.close();
        }
    }

    @Test
    void aUserEndsAnotherSessionAndSignsOutEverywhereOnAPhoneInDarkMode() throws Exception {
        String username = "b" + UUID.randomUUID().toString().substring(0, 8);
        assertThat(admin().post("/api/admin/users", Map.of("username", username, "password", PASSWORD)).status())
                .isEqualTo(201);
        ApiClient firefox = anonymous().withHeader("User-Agent", FIREFOX_ON_LINUX);
        assertThat(firefox.signIn(username, PASSWORD).status()).isEqualTo(200);
        ApiClient third = anonymous();
        assertThat(third.signIn(username, PASSWORD).status()).isEqualTo(200);

        driver.manage().window().setSize(new Dimension(390, 844));
        driver.executeCdpCommand("Emulation.setEmulatedMedia",
                Map.of("features", List.of(Map.of("name", "prefers-color-scheme", "value", "dark"))));
        try {
            driver.get(baseUrl() + "/login");
            named("input", "Username").sendKeys(username);
            named("input", "Password").sendKeys(PASSWORD);
            named("button", "Sign in").click();
            waitUntil("signed in", () -> !driver.findElements(By.cssSelector("textarea")).isEmpty());
            driver.get(baseUrl() + "/account");
            named("h2", "Sessions");
            waitUntil("three sessions listed", () -> driver.findElements(By.cssSelector(".sessions tbody tr")).size() == 3);

            WebElement thisDevice = driver.findElement(By.cssSelector(".sessions tr.current"));
            assertThat(thisDevice.getText()).contains("This device").contains("Chrome on Linux").contains("127.0.0.1");
            assertThat(thisDevice.findElements(By.tagName("button"))).isEmpty();
            // Dark mode and phone width: light text on a dark page, and the page itself does not scroll sideways.
            assertThat(script("return getComputedStyle(document.body).backgroundColor")).isEqualTo("rgb(27, 28, 28)");
            assertThat((Boolean) script("return document.documentElement.scrollWidth <= document.documentElement.clientWidth"))
                    .isTrue();

            named("button", "End session Firefox on Linux, 127.0.0.1").click();
            waitUntil("the Firefox session is gone from the list",
                    () -> driver.findElements(By.cssSelector(".sessions tbody tr")).size() == 2);
            assertThat(driver.findElement(By.cssSelector(".sessions [role=status]")).getText())
                    .isEqualTo("Session ended: Firefox on Linux, 127.0.0.1.");
            assertThat(firefox.get("/api/me").errorCode()).isEqualTo("unauthenticated");
            assertThat(third.get("/api/me").status()).isEqualTo(200);
            if (System.getProperty("corral.screenshots") != null) {
                java.nio.file.Files.write(Path.of(System.getProperty("corral.screenshots"), "sessions-phone-dark.png"),
                        driver.getScreenshotAs(org.openqa.selenium.OutputType.BYTES));
            }

            named("button", "Sign out everywhere").click();
            new WebDriverWait(driver, Duration.ofSeconds(5)).until(d -> {
                try {
                    d.switchTo().alert().accept();
                    return true;
                } catch (org.openqa.selenium.NoAlertPresentException e) {
                    return false;
                }
            });
            waitUntil("on the sign-in page", () -> driver.getCurrentUrl().endsWith("/login"));
            named("button", "Sign in");
            assertThat(third.get("/api/me").errorCode()).isEqualTo("unauthenticated");
            driver.navigate().to(baseUrl() + "/account");
            waitUntil("still signed out after a reload", () -> driver.getCurrentUrl().endsWith("/login"));
        } finally {
            driver.executeCdpCommand("Emulation.setEmulatedMedia", Map.of("features", List.of()));
            driver.manage().window().setSize(new Dimension(1280, 900));
            driver.manage().deleteAllCookies();
        }
    }

    private static WebElement named(String tag, String name) {
        return browser.named(tag, name);
    }

    private static void waitUntil(String what, java.util.function.BooleanSupplier condition) {
        browser.waitUntil(what, condition);
    }

    private static Object script(String js) {
        return browser.script(js);
    }
}
