package dev.corral.it;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import tools.jackson.databind.JsonNode;

import dev.corral.testsupport.ApiClient;
import dev.corral.testsupport.ApiClient.EventStream;
import dev.corral.testsupport.IntegrationTest;

import static org.assertj.core.api.Assertions.assertThat;

/** User B gets 404 on every one of user A's resources, by every endpoint, and A's data stays as it was. */
class CrossUserIT extends IntegrationTest {

    @Test
    void noEndpointLetsAnotherUserReadOrChangeAConversation() throws Exception {
        ApiClient alice = newUser();
        noEndpointLetsBobReadOrChangeAConversation(alice, newUser());
    }

    @Test
    void anotherUserCannotStopOrFollowALiveGeneration() throws Exception {
        ApiClient alice = newUser();
        bobCannotStopOrFollowALiveGeneration(alice, newUser());
    }

    /** Every conversation endpoint gives {@code bob} a 404 on Alice's conversation, which stays as it was. */
    private void noEndpointLetsBobReadOrChangeAConversation(ApiClient alice, ApiClient bob) throws Exception {
        String conversation = createConversation(alice, Map.of("model", "llama3.2:latest", "title", "Alice's secrets",
                "systemPrompt", "alice-system-prompt"));
        OLLAMA.setReply("alice-answer");
        alice.chat(conversation, "alice-question");
        JsonNode before = alice.get("/api/conversations/" + conversation).body();
        String answerId = before.path("messages").get(1).path("id").asString();
        String questionId = before.path("messages").get(0).path("id").asString();
        String base = "/api/conversations/" + conversation;

        List<ApiClient.Response> attempts = List.of(
                bob.get(base),
                bob.patch(base, Map.of("title", "pwned")),
                bob.patch(base, Map.of("systemPrompt", "pwned")),
                bob.delete(base),
                bob.post(base + "/messages", Map.of("content", "continue alice's chat")),
                bob.post(base + "/messages/" + answerId + "/stop", null),
                bob.post(base + "/messages/" + questionId + "/stop", null),
                bob.post(base + "/messages/" + answerId + "/regenerate", null),
                bob.get(base + "/messages/" + answerId + "/events"),
                bob.get(base + "/messages/" + questionId + "/events"));
        for (ApiClient.Response r : attempts) {
            assertThat(r.status()).as(r.http().request().method() + " " + r.http().request().uri()).isEqualTo(404);
            assertThat(r.errorCode()).isEqualTo("not_found");
            assertThat(r.raw()).doesNotContain("alice");
        }
        // Bob's own conversation id with Alice's message id is not a way in either.
        String bobs = createConversation(bob);
        assertThat(bob.get("/api/conversations/" + bobs + "/messages/" + answerId + "/events").status()).isEqualTo(404);
        assertThat(bob.post("/api/conversations/" + bobs + "/messages/" + answerId + "/stop", null).status())
                .isEqualTo(404);
        // Nor does the list show it.
        assertThat(bob.get("/api/conversations").body().path("items").findValuesAsString("id"))
                .containsExactly(bobs);

        JsonNode after = alice.get("/api/conversations/" + conversation).body();
        assertThat(after).isEqualTo(before);
        assertThat(OLLAMA.chatRequests()).hasSize(1);
    }

    /** {@code bob} can neither stop nor follow Alice's answer while it is generated. */
    private void bobCannotStopOrFollowALiveGeneration(ApiClient alice, ApiClient bob) throws Exception {
        String conversation = createConversation(alice);
        OLLAMA.setTokenCount(100);
        OLLAMA.setTokenDelay(Duration.ofMillis(20));
        try (EventStream stream = alice.stream("/api/conversations/" + conversation + "/messages",
                Map.of("content", "long one"))) {
            String answerId = stream.next(Duration.ofSeconds(5)).data().path("assistantMessage").path("id").asString();
            String base = "/api/conversations/" + conversation + "/messages/" + answerId;
            assertThat(bob.get(base + "/events").status()).isEqualTo(404);
            assertThat(bob.post(base + "/stop", null).status()).isEqualTo(404);
            // While it runs, Bob's "send" into Alice's conversation is a 404, not a revealing 409.
            assertThat(bob.post("/api/conversations/" + conversation + "/messages", Map.of("content", "x")).status())
                    .isEqualTo(404);
            assertThat(stream.until("done", Duration.ofSeconds(10)).data().path("message").path("status").asString())
                    .isEqualTo("complete");
        }
    }

    // ---------------------------------------------------------------- the same, with Bob authenticated by an API key

    /** Bob's client that authenticates with a new API key of his (no cookie, no CSRF token). */
    private ApiClient byKey(ApiClient bob) {
        ApiClient.Response key = bob.post("/api/keys", Map.of("name", "bob's script"));
        assertThat(key.status()).as(key.raw()).isEqualTo(201);
        return new ApiClient(baseUrl()).withHeader("Authorization", "Bearer " + key.body().path("secret").asString());
    }

    @Test
    void noEndpointLetsAnotherUsersApiKeyReadOrChangeAConversation() throws Exception {
        ApiClient alice = newUser();
        noEndpointLetsBobReadOrChangeAConversation(alice, byKey(newUser()));
    }

    @Test
    void anotherUsersApiKeyCannotStopOrFollowALiveGeneration() throws Exception {
        ApiClient alice = newUser();
        bobCannotStopOrFollowALiveGeneration(alice, byKey(newUser()));
    }

    /** API keys are resources too: Bob, by session or by key, cannot see, revoke or rotate Alice's. */
    @Test
    void noEndpointLetsAnotherUserReachAnApiKey() {
        ApiClient alice = newUser();
        ApiClient bobSession = newUser();
        ApiClient bobKey = byKey(bobSession);
        ApiClient.Response created = alice.post("/api/keys", Map.of("name", "alice-key"));
        String id = created.body().path("key").path("id").asString();
        JsonNode before = alice.get("/api/keys").body();
        for (ApiClient bob : List.of(bobSession, bobKey)) {
            for (ApiClient.Response r : List.of(bob.delete("/api/keys/" + id), bob.delete("/api/admin/keys/" + id),
                    bob.get("/api/admin/keys"), bob.get("/api/admin/keys?userId=" + id))) {
                assertThat(r.status()).as(r.http().request().method() + " " + r.http().request().uri())
                        .isIn(403, 404);
                assertThat(r.raw()).doesNotContain("alice");
            }
            assertThat(bob.get("/api/keys").raw()).doesNotContain(id).doesNotContain("alice");
        }
        ApiClient.Response rotate = bobSession.post("/api/keys/" + id + "/rotate", null);
        assertThat(rotate.status()).isEqualTo(404);
        assertThat(rotate.errorCode()).isEqualTo("not_found");
        assertThat(bobSession.delete("/api/keys/" + id).errorCode()).isEqualTo("not_found");
        assertThat(bobKey.delete("/api/keys/" + id).errorCode()).isEqualTo("not_found");
        assertThat(alice.get("/api/keys").body()).isEqualTo(before);
        assertThat(new ApiClient(baseUrl()).withHeader("Authorization", "Bearer "
                + created.body().path("secret").asString()).get("/api/me").status()).isEqualTo(200);
    }
}
