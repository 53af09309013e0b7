package dev.corral.it;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;

import tools.jackson.databind.JsonNode;

import dev.corral.testsupport.ApiClient;
import dev.corral.testsupport.IntegrationTest;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A client that starts an answer and then stops reading (a frozen tab, a dead network path) never holds up the
 * answer: it is generated and stored in full while the client's socket stays open and unread.
 */
class StalledClientIT extends IntegrationTest {

    @Test
    void anAnswerCompletesWhileItsClientReadsNothing() throws Exception {
        ApiClient user = newUser();
        String id = createConversation(user);
        // About 6 MB of events: far more than the socket buffers between Corral and a client that does not read
        // (its receive buffer is 4 KB), so Corral's writes to it cannot all go out.
        List<String> tokens = new ArrayList<>();
        for (int k = 0; k < 20_000; k++) {
            tokens.add(" " + "w".repeat(290) + String.format("%08d", k));
        }
        String expected = String.join("", tokens);
        OLLAMA.setReplyTokens(tokens);

        user.ensureCsrfCookie();
        URI base = URI.create(user.baseUrl());
        try (Socket stalled = new Socket()) {
            stalled.setReceiveBufferSize(4096);
            stalled.connect(new InetSocketAddress(base.getHost(), base.getPort()), 5_000);
            byte[] body = "{\"content\":\"Talk at length\"}".getBytes(StandardCharsets.UTF_8);
            String cookies = user.cookies().stream().map(c -> c.getName() + "=" + c.getValue())
                    .collect(Collectors.joining("; "));
            String head = "POST /api/conversations/" + id + "/messages HTTP/1.1\r\n"
                    + "Host: " + base.getHost() + ":" + base.getPort() + "\r\n"
                    + "Cookie: " + cookies + "\r\n"
                    + "X-XSRF-TOKEN: " + user.cookie("XSRF-TOKEN") + "\r\n"
                    + "Content-Type: application/json\r\nAccept: text/event-stream\r\n"
                    + "Content-Length: " + body.length + "\r\n\r\n";
            OutputStream out = stalled.getOutputStream();
            out.write(head.getBytes(StandardCharsets.ISO_8859_1));
            out.write(body);
            out.flush();
            // The stream has started (its status line is there); from now on nothing is read.
            InputStream in = stalled.getInputStream();
            assertThat(new String(in.readNBytes(12), StandardCharsets.ISO_8859_1)).isEqualTo("HTTP/1.1 200");

            await("the whole answer stored as complete", Duration.ofSeconds(30), () -> {
                JsonNode messages = user.get("/api/conversations/" + id).body().path("messages");
                return messages.size() == 2 && messages.get(1).path("status").asString().equals("complete");
            });
            JsonNode answer = user.get("/api/conversations/" + id).body().path("messages").get(1);
            assertThat(answer.path("content").asString()).isEqualTo(expected);
            // The client was still connected and had not read the answer.
            assertThat(stalled.isClosed()).isFalse();
        }
    }
}
