package dev.corral.session;

import java.time.Instant;

import org.junit.jupiter.api.Test;
import org.springframework.mock.web.MockHttpServletRequest;

import dev.corral.user.Role;
import dev.corral.user.SignedInUser;
import dev.corral.user.User;
import dev.corral.web.ApiException;
import dev.corral.web.ErrorCode;

import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.verifyNoInteractions;

/** A request authenticated by an API key may neither list nor end sessions (API keys are not built here yet). */
class SessionControllerTest {

    private final SessionService sessions = mock(SessionService.class);
    private final SessionController controller = new SessionController(sessions);
    private final SignedInUser viaKey = new SignedInUser(
            new User("u1", "alice", null, Role.USER, true, Instant.now()), "key-1");
    private final MockHttpServletRequest request = new MockHttpServletRequest();

    @Test
    void apiKeysAreRefusedWithForbidden() {
        assertForbidden(() -> controller.list(viaKey, request));
        assertForbidden(() -> controller.end(viaKey, "some-session", request));
        assertForbidden(() -> controller.signOutEverywhere(viaKey, request));
        verifyNoInteractions(sessions);
    }

    private static void assertForbidden(Runnable call) {
        assertThatThrownBy(call::run).isInstanceOfSatisfying(ApiException.class,
                e -> org.assertj.core.api.Assertions.assertThat(e.code()).isEqualTo(ErrorCode.FORBIDDEN));
    }
}
