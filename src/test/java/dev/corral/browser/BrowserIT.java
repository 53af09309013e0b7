package dev.corral.browser;

import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.Select;

import dev.corral.testsupport.ApiClient;
import dev.corral.testsupport.Chromium;
import dev.corral.testsupport.IntegrationTest;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Real Chromium (Debian's package) driving the built UI: sign in, watch an answer grow, stop a long one, reload and
 * find everything again. Controls are found by their accessible names, as a screen reader would.
 */
class BrowserIT extends IntegrationTest {

    private static Chromium browser;
    private static WebDriver driver;

    @BeforeAll
    static void startBrowser() throws Exception {
        browser = Chromium.start();
        driver = browser.driver();
    }

    @AfterAll
    static void stopBrowser() {
        if (browser != null) {
            browser.close();
        }
    }

    @Test
    void signInChatStopAndFindEverythingAfterAReload() throws Exception {
        String username = "b" + UUID.randomUUID().toString().substring(0, 8);
        assertThat(admin().post("/api/admin/users", Map.of("username", username, "password", PASSWORD)).status())
                .isEqualTo(201);

        driver.get(baseUrl() + "/");
        type(named("input", "Username"), username);
        type(named("input", "Password"), PASSWORD);
        named("button", "Sign in").click();

        WebElement message = named("textarea", "Message");
        new Select(named("select", "Model")).selectByValue("llama3.2:latest");

        // An answer that takes about 2.5 s grows in several visible steps.
        OLLAMA.setTokenCount(40);
        OLLAMA.setTokenDelay(Duration.ofMillis(60));
        type(message, "Hello browser");
        named("button", "Send").click();
        Set<Integer> lengthsSeen = new LinkedHashSet<>();
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (System.nanoTime() < deadline) {
            List<WebElement> answers = driver.findElements(By.cssSelector("article.message.assistant"));
            if (!answers.isEmpty()) {
                WebElement answer = answers.getLast();
                String text = answer.findElement(By.cssSelector(".answer")).getText();
                if (!text.isEmpty()) {
                    lengthsSeen.add(text.length());
                }
                if ("complete".equals(answer.getAttribute("data-status"))) {
                    break;
                }
            }
            Thread.sleep(40);
        }
        assertThat(lastAnswer().getAttribute("data-status")).isEqualTo("complete");
        assertThat(lastAnswer().findElement(By.cssSelector(".answer")).getText()).startsWith("tok0 tok1").endsWith("tok39");
        assertThat(lengthsSeen).as("distinct lengths of the answer while it streamed").hasSizeGreaterThan(2);

        // A long answer in a new chat, stopped half-way.
        named("button", "New chat").click();
        OLLAMA.setTokenCount(5000);
        OLLAMA.setTokenDelay(Duration.ofMillis(20));
        type(named("textarea", "Message"), "Tell me a long story");
        named("button", "Send").click();
        waitUntil("the long answer has started", () -> {
            List<WebElement> answers = driver.findElements(By.cssSelector("article.message.assistant .answer"));
            return !answers.isEmpty() && answers.getLast().getText().length() > 20;
        });
        named("button", "Stop").click();
        waitUntil("the answer is marked stopped", () -> "stopped".equals(lastAnswer().getAttribute("data-status")));
        assertThat(OLLAMA.awaitCancelled(Duration.ofSeconds(2))).isTrue();
        String stoppedText = lastAnswer().findElement(By.cssSelector(".answer")).getText();
        assertThat(stoppedText).startsWith("tok0 tok1").doesNotContain("tok4999");
        assertThat(lastAnswer().getText()).contains("Stopped");

        // After a reload, both conversations are in the sidebar and keep their messages.
        driver.navigate().refresh();
        named("a", "Hello browser").click();
        waitUntil("the first conversation is shown", () -> messages().size() == 2);
        assertThat(messages().get(0).getText()).contains("Hello browser");
        assertThat(messages().get(1).getText()).contains("tok39");

        named("a", "Tell me a long story").click();
        waitUntil("the second conversation is shown", () -> messages().size() == 2
                && messages().get(0).getText().contains("Tell me a long story"));
        assertThat(lastAnswer().getAttribute("data-status")).isEqualTo("stopped");
        assertThat(lastAnswer().findElement(By.cssSelector(".answer")).getText()).isEqualTo(stoppedText);

        // Retry the stopped answer: a new answer replaces it on screen.
        OLLAMA.reset();
        OLLAMA.setReply("A shorter story.");
        named("button", "Retry").click();
        waitUntil("the new answer is complete", () -> "complete".equals(lastAnswer().getAttribute("data-status"))
                && lastAnswer().findElement(By.cssSelector(".answer")).getText().equals("A shorter story."));
        assertThat(messages()).hasSize(2);

        // The same is visible through the API.
        ApiClient api = anonymous();
        api.signIn(username, PASSWORD);
        assertThat(api.get("/api/conversations").body().path("items")).hasSize(2);
    }

    @Test
    void theAdminPageShowsMetricsWithAChartAndARouteTable() throws Exception {
        driver.manage().deleteAllCookies();
        try {
            driver.get(baseUrl() + "/login");
            type(named("input", "Username"), ADMIN);
            type(named("input", "Password"), ADMIN_PASSWORD);
            named("button", "Sign in").click();
            waitUntil("signed in", () -> !driver.findElements(By.cssSelector("textarea")).isEmpty());
            driver.get(baseUrl() + "/admin");
            named("h2", "Metrics");
            waitUntil("the route table is filled", () -> !driver.findElements(
                    By.cssSelector(".metrics tbody th[scope=row]")).isEmpty());
            WebElement chart = driver.findElement(By.cssSelector(".metrics figure svg[role=img]"));
            assertThat(chart.getAccessibleName()).startsWith("Last 60 minutes:");
            assertThat(driver.findElements(By.cssSelector(".metrics svg rect.bar"))).hasSize(60);
            assertThat(driver.findElement(By.cssSelector(".metrics table")).getText()).contains("/api/auth/login");
        } finally {
            driver.manage().deleteAllCookies();
        }
    }

    @Test
    void theUiRunsUnderItsContentSecurityPolicyAndCountsCharacters() throws Exception {
        String csp = anonymous().get("/").header("Content-Security-Policy");
        assertThat(csp).contains("script-src 'self'").contains("style-src 'self'").doesNotContain("unsafe-inline");
        driver.manage().deleteAllCookies();
        try {
            driver.get(baseUrl() + "/login");
            type(named("input", "Username"), ADMIN);
            type(named("input", "Password"), ADMIN_PASSWORD);
            named("button", "Sign in").click();
            WebElement message = named("textarea", "Message");
            new Select(named("select", "Model")).selectByValue("llama3.2:latest");

            WebElement counter = driver.findElement(By.id("composer-count"));
            assertThat(counter.getAttribute("aria-live")).isEqualTo("polite");
            type(message, "Hello counter");
            waitUntil("the counter shows 13 / 4000", () -> counter.getText().equals("13 / 4000"));
            assertThat(named("button", "Send").isEnabled()).isTrue();
            script("const t = document.getElementById('composer-input'); t.value = 'x'.repeat(4001);"
                    + " t.dispatchEvent(new Event('input', {bubbles: true}));");
            waitUntil("the counter is over the limit", () -> counter.getText().startsWith("4001 / 4000")
                    && counter.getAttribute("class").contains("over"));
            assertThat(named("button", "Send").isEnabled()).isFalse();
            type(message, "**Markdown** with `code`:\n```java\nint x = 1;\n```");
            OLLAMA.setReply("A *styled* answer with code:\n\n```java\nint answer = 42;\n```\n");
            named("button", "Send").click();
            waitUntil("the answer is complete", () -> !driver.findElements(By.cssSelector("article.message.assistant"))
                    .isEmpty() && "complete".equals(lastAnswer().getAttribute("data-status")));

            driver.get(baseUrl() + "/admin");
            named("h2", "Metrics");
            waitUntil("the metrics chart is drawn", () -> !driver.findElements(
                    By.cssSelector(".metrics figure svg[role=img]")).isEmpty());

            List<String> violations = driver.manage().logs().get(org.openqa.selenium.logging.LogType.BROWSER)
                    .getAll().stream().map(org.openqa.selenium.logging.LogEntry::getMessage)
                    .filter(m -> m.contains("Content Security Policy") || m.contains("Content-Security-Policy")
                            || m.contains("Permissions-Policy"))
                    .toList();
            assertThat(violations).as("CSP violations or policy header errors in the browser console").isEmpty();
        } finally {
            driver.manage().deleteAllCookies();
        }
    }

    @Test
    void anAdminRaisesAUsersRateLimitOnTheAdminPage() throws Exception {
        String username = "b" + UUID.randomUUID().toString().substring(0, 8);
        ApiClient.Response created = admin().post("/api/admin/users", Map.of("username", username, "password", PASSWORD));
        assertThat(created.status()).isEqualTo(201);
        String id = created.body().path("id").asString();
        driver.manage().deleteAllCookies();
        try {
            driver.get(baseUrl() + "/login");
            type(named("input", "Username"), ADMIN);
            type(named("input", "Password"), ADMIN_PASSWORD);
            named("button", "Sign in").click();
            waitUntil("signed in", () -> !driver.findElements(By.cssSelector("textarea")).isEmpty());
            driver.get(baseUrl() + "/admin");
            named("h2", "Rate limits");
            WebElement multiplier = named("input", "Rate limit multiplier of " + username);
            multiplier.clear();
            multiplier.sendKeys("5");
            multiplier.findElement(By.xpath("ancestor::tr")).findElement(By.tagName("button")).click();
            waitUntil("the multiplier is stored", () -> admin().get("/api/admin/users").body().path("items")
                    .valueStream().anyMatch(u -> u.path("id").asString().equals(id)
                            && u.path("rateLimitMultiplier").asInt() == 5));
        } finally {
            driver.manage().deleteAllCookies();
        }
    }

    @Test
    void signUpApprovalAccountPasswordAndAdminActionsInTheUi() throws Exception {
        ApiClient api = admin();
        String name = "w" + UUID.randomUUID().toString().substring(0, 8);
        String firstPassword = "window-seat-" + name;
        driver.manage().deleteAllCookies();
        try {
            // Closed by default: the sign-in page offers no sign-up.
            driver.get(baseUrl() + "/login");
            named("button", "Sign in");
            assertThat(driver.findElements(By.linkText("Create an account"))).isEmpty();

            // An admin opens sign-up on the admin page.
            signInAs(ADMIN, ADMIN_PASSWORD);
            driver.get(baseUrl() + "/admin");
            named("input", "Allow sign-up").click();
            waitUntil("sign-up is open", () -> api.get("/api/admin/settings").body().path("signUpOpen").asBoolean());

            // A visitor creates an account, which waits for approval.
            driver.manage().deleteAllCookies();
            driver.get(baseUrl() + "/login");
            named("a", "Create an account").click();
            type(named("input", "Username"), name);
            type(named("input", "Password"), firstPassword);
            named("button", "Create account").click();
            waitUntil("the account is created", () -> driver.findElement(By.tagName("main")).getText()
                    .contains("An admin must approve it"));
            driver.get(baseUrl() + "/login");
            type(named("input", "Username"), name);
            type(named("input", "Password"), firstPassword);
            named("button", "Sign in").click();
            waitUntil("told the account is pending", () -> driver.findElement(By.cssSelector("[role=alert]")).getText()
                    .contains("waiting for an admin to approve"));

            // The admin approves it, makes it an admin and a user again, and resets its password.
            signInAs(ADMIN, ADMIN_PASSWORD);
            driver.get(baseUrl() + "/admin");
            named("button", "Approve " + name).click();
            waitUntil("approved", () -> "enabled".equals(account(api, name).path("status").asString()));
            named("button", "Make " + name + " admin").click();
            waitUntil("promoted", () -> "admin".equals(account(api, name).path("role").asString()));
            named("button", "Make " + name + " a user").click();
            waitUntil("demoted", () -> "user".equals(account(api, name).path("role").asString()));
            named("button", "Reset password for " + name).click();
            String resetPassword = "reset-by-admin-" + name;
            type(named("input", "New password"), "short");
            named("button", "Set password").click();
            waitUntil("the dialog explains the refusal", () -> driver.findElement(By.cssSelector("dialog [role=alert]"))
                    .getText().contains("12-128 characters"));
            type(named("input", "New password"), resetPassword);
            named("button", "Set password").click();
            waitUntil("the password is reset", () -> anonymous().signIn(name, resetPassword).status() == 200);

            // The user changes their own password on the account page.
            driver.manage().deleteAllCookies();
            signInAs(name, resetPassword);
            driver.get(baseUrl() + "/account");
            String ownPassword = "chosen-by-myself-" + name;
            type(named("input", "Current password"), resetPassword);
            type(named("input", "New password"), ownPassword);
            type(named("input", "Confirm new password"), ownPassword);
            named("button", "Change password").click();
            waitUntil("the password is changed", () -> driver.findElement(By.cssSelector(".password [role=status]"))
                    .getText().contains("Password changed"));
            assertThat(anonymous().signIn(name, ownPassword).status()).isEqualTo(200);

            // The admin deletes the account, confirming what is lost.
            driver.manage().deleteAllCookies();
            signInAs(ADMIN, ADMIN_PASSWORD);
            driver.get(baseUrl() + "/admin");
            named("button", "Delete " + name).click();
            assertThat(driver.switchTo().alert().getText()).contains("conversations, messages and API keys");
            driver.switchTo().alert().accept();
            waitUntil("deleted", () -> api.get("/api/admin/users").body().path("items")
                    .findValuesAsString("username").stream().noneMatch(name::equals));
        } finally {
            api.patch("/api/admin/settings", Map.of("signUpOpen", false));
            driver.manage().deleteAllCookies();
        }
    }

    private void signInAs(String username, String password) {
        browser.signIn(baseUrl(), username, password);
    }

    private static tools.jackson.databind.JsonNode account(ApiClient admin, String username) {
        for (tools.jackson.databind.JsonNode user : admin.get("/api/admin/users").body().path("items")) {
            if (user.path("username").asString().equals(username)) {
                return user;
            }
        }
        return tools.jackson.databind.node.MissingNode.getInstance();
    }

    private static List<WebElement> messages() {
        return driver.findElements(By.cssSelector("article.message"));
    }

    private static WebElement lastAnswer() {
        return driver.findElements(By.cssSelector("article.message.assistant")).getLast();
    }

    private static WebElement named(String tag, String name) {
        return browser.named(tag, name);
    }

    private static void type(WebElement field, String text) {
        browser.type(field, text);
    }

    private static void waitUntil(String what, java.util.function.BooleanSupplier condition) {
        browser.waitUntil(what, condition);
    }

    private static Object script(String js) {
        return browser.script(js);
    }
}
