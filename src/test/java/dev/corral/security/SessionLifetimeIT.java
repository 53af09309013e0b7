package dev.corral.security;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.corral.testsupport.ApiClient;
import dev.corral.testsupport.CorralProcess;
import dev.corral.testsupport.IntegrationTest;
import dev.corral.testsupport.SeparateCorral;
import dev.corral.testsupport.SharedStandIn;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Sessions live in the database: they survive a restart of the process, end after SESSION_IDLE_TIMEOUT without a
 * request, and end SESSION_MAX_LIFETIME after sign-in however active they are.
 */
class SessionLifetimeIT {

    @TempDir
    Path dataDir;

    @Test
    void aSessionSurvivesARestartOfCorral() throws Exception {
        Map<String, String> environment = new HashMap<>();
        environment.put("CORRAL_DATA_DIR", dataDir.toString());
        environment.put("OLLAMA_BASE_URL", SharedStandIn.get().baseUrl());
        environment.put("CORRAL_ADMIN_USERNAME", IntegrationTest.ADMIN);
        environment.put("CORRAL_ADMIN_PASSWORD", IntegrationTest.ADMIN_PASSWORD);
        String cookie;
        try (CorralProcess corral = CorralProcess.start(dataDir, environment, Duration.ofSeconds(120))) {
            ApiClient admin = new ApiClient(corral.baseUrl());
            assertThat(admin.signIn(IntegrationTest.ADMIN, IntegrationTest.ADMIN_PASSWORD).status()).isEqualTo(200);
            cookie = admin.cookie("CORRAL_SESSION");
            assertThat(admin.get("/api/me").status()).isEqualTo(200);
            corral.terminate();
            assertThat(corral.awaitExit(Duration.ofSeconds(60))).as(corral.output()).isEqualTo(0);
        }
        try (CorralProcess corral = CorralProcess.start(dataDir, environment, Duration.ofSeconds(120))) {
            ApiClient sameBrowser = new ApiClient(corral.baseUrl()).withHeader("Cookie", "CORRAL_SESSION=" + cookie);
            ApiClient.Response me = sameBrowser.get("/api/me");
            assertThat(me.status()).as(me.raw()).isEqualTo(200);
            assertThat(me.body().path("username").asString()).isEqualTo(IntegrationTest.ADMIN);
            assertThat(sameBrowser.get("/api/sessions").body().path("items").get(0).path("current").asBoolean())
                    .isTrue();
        }
    }

    @Test
    void aSessionEndsAfterTheIdleTimeoutButNotWhileItIsUsed() throws Exception {
        try (SeparateCorral corral = SeparateCorral.start(dataDir, "--corral.session.idle-timeout=3s")) {
            ApiClient admin = corral.admin();
            // Used every 1.5 s for 6 s in all: longer than the idle timeout, never idle for that long.
            for (int i = 0; i < 4; i++) {
                Thread.sleep(1500);
                assertThat(admin.get("/api/me").status()).as("request %d", i).isEqualTo(200);
            }
            ApiClient.Response listed = admin.get("/api/sessions");
            assertThat(java.time.Duration.between(
                    java.time.Instant.parse(listed.body().path("items").get(0).path("lastActiveAt").asString()),
                    java.time.Instant.parse(listed.body().path("items").get(0).path("expiresAt").asString())))
                    .isEqualTo(Duration.ofSeconds(3));

            Thread.sleep(4500);
            ApiClient.Response expired = admin.get("/api/me");
            assertThat(expired.status()).isEqualTo(401);
            assertThat(expired.errorCode()).isEqualTo("unauthenticated");
        }
    }

    @Test
    void aSessionEndsAtItsMaximumLifetimeHoweverActiveItIs() throws Exception {
        try (SeparateCorral corral = SeparateCorral.start(dataDir, "--corral.session.max-lifetime=4s")) {
            ApiClient admin = corral.admin();
            long signedIn = System.nanoTime();
            ApiClient other = corral.admin();
            // Active every 200 ms, far below the (default, 30 min) idle timeout, until the session ends: that must
            // be at its 4 s lifetime, not before and not much after.
            ApiClient.Response ended;
            while (true) {
                ended = admin.get("/api/me");
                if (ended.status() != 200) {
                    break;
                }
                assertThat(System.nanoTime() - signedIn).as("still signed in long after the lifetime")
                        .isLessThan(Duration.ofSeconds(8).toNanos());
                Thread.sleep(200);
            }
            assertThat(System.nanoTime() - signedIn).isGreaterThanOrEqualTo(Duration.ofMillis(3900).toNanos());
            assertThat(ended.status()).isEqualTo(401);
            assertThat(ended.errorCode()).isEqualTo("unauthenticated");
            assertThat(ended.http().headers().allValues("Set-Cookie")).anyMatch(c -> c.startsWith("CORRAL_SESSION=;"));
            // A session past its lifetime is no longer listed either (the other one, signed in just after, is due
            // too: sign in afresh to look).
            Thread.sleep(1000); // the other session was signed in a moment after the first: let its lifetime pass too
            ApiClient fresh = corral.admin();
            assertThat(fresh.get("/api/sessions").body().path("items")).hasSize(1);
            assertThat(other.get("/api/me").status()).isEqualTo(401);
        }
    }
}
