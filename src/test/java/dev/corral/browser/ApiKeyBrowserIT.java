package dev.corral.browser;

import java.time.LocalDate;
import java.util.Map;
import java.util.UUID;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;

import tools.jackson.databind.JsonNode;

import dev.corral.testsupport.ApiClient;
import dev.corral.testsupport.Chromium;
import dev.corral.testsupport.IntegrationTest;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A user makes an API key on the Account page, the test uses it as a script would, rotates and revokes it in the
 * page, and the key stops working; an admin revokes a user's key on the Admin page.
 */
class ApiKeyBrowserIT extends IntegrationTest {

    private static Chromium browser;

    @BeforeAll
    static void startBrowser() throws Exception {
        browser = Chromium.start();
    }

    @AfterAll
    static void stopBrowser() {
        if (browser != null) {
            browser.close();
        }
    }

    @Test
    void aUserCreatesUsesRotatesAndRevokesAKeyInTheAccountPage() {
        WebDriver driver = browser.driver();
        String username = "k" + UUID.randomUUID().toString().substring(0, 8);
        assertThat(admin().post("/api/admin/users", Map.of("username", username, "password", PASSWORD)).status())
                .isEqualTo(201);
        browser.signIn(baseUrl(), username, PASSWORD);
        driver.get(baseUrl() + "/account");
        browser.named("h2", "API keys");

        browser.type(browser.named("input", "Key name"), "browser script");
        String expiry = LocalDate.now().plusDays(30).toString();
        // A date field's typing depends on the locale: set its value as the date picker would.
        browser.script("const f = arguments[0]; f.value = arguments[1]; f.dispatchEvent(new Event('input', {bubbles: true}));",
                browser.named("input", "Expires"), expiry);
        browser.named("button", "Create key").click();

        WebElement shown = browser.named("input", "New API key");
        String secret = shown.getDomProperty("value");
        assertThat(secret).matches("crl_[0-9A-Za-z]{8}_[0-9A-Za-z]{43}");
        assertThat(shown.getDomAttribute("readonly")).isNotNull();
        assertThat(driver.findElement(By.cssSelector(".new-key")).getText()).contains("will not be shown again");
        browser.named("button", "Copy");
        WebElement row = row(secret.substring(0, 12));
        assertThat(row.getText()).contains("browser script").contains("active");

        // The key works from outside the browser, with no cookie and no CSRF token.
        ApiClient script = new ApiClient(baseUrl()).withHeader("Authorization", "Bearer " + secret);
        ApiClient.Response me = script.get("/api/me");
        assertThat(me.status()).isEqualTo(200);
        assertThat(me.body().path("username").asString()).isEqualTo(username);
        assertThat(script.post("/api/conversations", Map.of("model", "llama3.2:latest", "title", "from a script"))
                .status()).isEqualTo(201);
        JsonNode listed = script.get("/api/keys").body().path("items").get(0);
        assertThat(listed.path("expiresAt").asString()).startsWith(expiry.substring(0, 7));

        // Once dismissed, and after a reload, the secret is nowhere on the page.
        browser.named("button", "Done").click();
        browser.waitUntil("the secret is gone", () -> driver.findElements(By.cssSelector(".new-key")).isEmpty());
        driver.navigate().refresh();
        browser.named("h2", "API keys");
        browser.waitUntil("the key is listed", () -> driver.getPageSource().contains(secret.substring(0, 12)));
        assertThat(driver.getPageSource()).doesNotContain(secret.substring(13));

        // Rotate: a new secret, and the old key still works during the grace period.
        browser.named("button", "Rotate browser script").click();
        WebElement rotatedField = browser.named("input", "New API key");
        String rotated = rotatedField.getDomProperty("value");
        assertThat(rotated).matches("crl_[0-9A-Za-z]{8}_[0-9A-Za-z]{43}").isNotEqualTo(secret);
        browser.waitUntil("the old key shows as expiring", () -> row(secret.substring(0, 12)).getText()
                .contains("rotated, expiring"));
        ApiClient rotatedScript = new ApiClient(baseUrl()).withHeader("Authorization", "Bearer " + rotated);
        assertThat(rotatedScript.get("/api/me").status()).isEqualTo(200);
        assertThat(script.get("/api/me").status()).isEqualTo(200);

        // Revoke the new key (after confirming): it stops working at once.
        row(rotated.substring(0, 12)).findElement(By.cssSelector("button[aria-label='Revoke browser script']")).click();
        driver.switchTo().alert().accept();
        browser.waitUntil("the key shows as revoked", () -> row(rotated.substring(0, 12)).getText().contains("revoked"));
        ApiClient.Response refused = rotatedScript.get("/api/me");
        assertThat(refused.status()).isEqualTo(401);
        assertThat(refused.errorCode()).isEqualTo("invalid_api_key");

        // And the old one, revoked too.
        row(secret.substring(0, 12)).findElement(By.cssSelector("button[aria-label='Revoke browser script']")).click();
        driver.switchTo().alert().accept();
        browser.waitUntil("the old key shows as revoked", () -> row(secret.substring(0, 12)).getText().contains("revoked"));
        assertThat(script.get("/api/me").status()).isEqualTo(401);

        // At phone width the page does not scroll sideways (the table scrolls in its own box).
        try {
            driver.manage().window().setSize(new Dimension(390, 844));
            browser.named("h2", "API keys");
            browser.waitUntil("the narrow layout", () -> ((Number) browser.script(
                    "return document.documentElement.scrollWidth - document.documentElement.clientWidth;"))
                    .intValue() <= 0);
            assertThat(browser.named("button", "Create key").isDisplayed()).isTrue();
        } finally {
            driver.manage().window().setSize(new Dimension(1280, 900));
        }
    }

    @Test
    void anAdminRevokesAUsersKeyOnTheAdminPage() {
        WebDriver driver = browser.driver();
        ApiClient user = newUser();
        String owner = user.get("/api/me").body().path("username").asString();
        String secret = user.post("/api/keys", Map.of("name", "to be revoked")).body().path("secret").asString();
        ApiClient script = new ApiClient(baseUrl()).withHeader("Authorization", "Bearer " + secret);
        assertThat(script.get("/api/me").status()).isEqualTo(200);

        browser.signIn(baseUrl(), ADMIN, ADMIN_PASSWORD);
        driver.get(baseUrl() + "/admin");
        browser.named("h2", "API keys");
        browser.named("button", "Revoke to be revoked of " + owner).click();
        driver.switchTo().alert().accept();
        browser.waitUntil("the key is revoked", () -> script.get("/api/me").status() == 401);
        assertThat(user.get("/api/keys").body().path("items").get(0).path("status").asString()).isEqualTo("revoked");
    }

    /** The table row of the key with this prefix. */
    private static WebElement row(String prefix) {
        return browser.driver().findElements(By.cssSelector("tr[data-key-id]")).stream()
                .filter(r -> r.getText().contains(prefix)).findFirst()
                .orElseThrow(() -> new java.util.NoSuchElementException("no row for " + prefix));
    }
}
