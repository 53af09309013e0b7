package dev.corral.session;

import java.util.List;

import jakarta.servlet.http.HttpServletRequest;

import org.springframework.http.HttpStatus;
import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;

import dev.corral.user.SignedInUser;

/**
 * The caller's own sign-in sessions: list them, end one, or end all of them ("sign out everywhere"). Another
 * user's session, like an unknown one, is not found. Not for API keys: a key is not a session and must not be
 * able to sign its owner out.
 */
@RestController
@RequestMapping("/api/sessions")
class SessionController {

    record SessionList(List<SessionService.ActiveSession> items) {
    }

    private final SessionService sessions;

    SessionController(SessionService sessions) {
        this.sessions = sessions;
    }

    @GetMapping
    SessionList list(@AuthenticationPrincipal SignedInUser user, HttpServletRequest request) {
        refuseApiKeys(user);
        return new SessionList(sessions.list(user.id(), request));
    }

    @DeleteMapping("/{id}")
    @ResponseStatus(HttpStatus.NO_CONTENT)
    void end(@AuthenticationPrincipal SignedInUser user, @PathVariable String id, HttpServletRequest request) {
        refuseApiKeys(user);
        sessions.end(user, id, request);
    }

    @PostMapping("/sign-out-everywhere")
    @ResponseStatus(HttpStatus.NO_CONTENT)
    void signOutEverywhere(@AuthenticationPrincipal SignedInUser user, HttpServletRequest request) {
        refuseApiKeys(user);
        sessions.endAll(user, request);
    }

    private static void refuseApiKeys(SignedInUser user) {
        user.requireSession(
                "Sessions can only be listed or ended from a signed-in browser session, not with an API key.");
    }
}
