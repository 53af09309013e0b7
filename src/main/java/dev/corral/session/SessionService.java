package dev.corral.session;

import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpSession;

import org.springframework.context.event.EventListener;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.session.FindByIndexNameSessionRepository;
import org.springframework.session.Session;
import org.springframework.stereotype.Service;

import dev.corral.audit.AuditAction;
import dev.corral.audit.AuditLog;
import dev.corral.user.AccountSessionsRevoked;
import dev.corral.user.SignedInUser;
import dev.corral.web.ApiException;
import dev.corral.web.TrustedProxies;

/**
 * Sign-in sessions, stored by Spring Session JDBC and indexed by user id: what sign-in records on a new session,
 * a user's list of their sessions, ending one or all of them, and ending an account's sessions when the account
 * feature says so ({@link AccountSessionsRevoked}). Each session carries an opaque random id of its own (never the
 * session id, which is a credential) by which users name it.
 */
@Service
public class SessionService {

    /** The session's public, opaque id. */
    static final String REF = "corral.session.ref";
    /** Client IP of the session's latest request. */
    static final String IP = "corral.session.ip";
    /** Short description of the browser of the session's latest request. */
    static final String BROWSER = "corral.session.browser";

    private static final String USER_ID = FindByIndexNameSessionRepository.PRINCIPAL_NAME_INDEX_NAME;
    private static final SecureRandom RANDOM = new SecureRandom();

    /** One of the caller's sessions as the API shows it. */
    record ActiveSession(String id, Instant createdAt, Instant lastActiveAt, Instant expiresAt, String ip,
                         String browser, boolean current) {
    }

    private final FindByIndexNameSessionRepository<? extends Session> repository;
    private final SessionConfig.SessionTimeouts timeouts;
    private final TrustedProxies trustedProxies;
    private final AuditLog audit;

    SessionService(FindByIndexNameSessionRepository<? extends Session> repository,
                   SessionConfig.SessionTimeouts timeouts, TrustedProxies trustedProxies, AuditLog audit) {
        this.repository = repository;
        this.timeouts = timeouts;
        this.trustedProxies = trustedProxies;
        this.audit = audit;
    }

    /**
     * Called by sign-in on the request's new session, after the security context is stored in it: indexes the
     * session by the user's id and gives it its opaque id, IP and browser. Returns the opaque id.
     */
    public String started(HttpServletRequest request, String userId) {
        HttpSession session = request.getSession(false);
        if (session == null) {
            throw new IllegalStateException("sign-in must create the session first");
        }
        String ref = newRef();
        session.setAttribute(USER_ID, userId);
        session.setAttribute(REF, ref);
        session.setAttribute(IP, trustedProxies.clientAddress(request));
        session.setAttribute(BROWSER, Browsers.describe(request.getHeader("User-Agent")));
        session.setMaxInactiveInterval((int) timeouts.initialMaxInactive().toSeconds());
        return ref;
    }

    /** The opaque id of the request's session, or null when it has none. */
    public String currentRef(HttpServletRequest request) {
        HttpSession session = request.getSession(false);
        return session == null ? null : (String) session.getAttribute(REF);
    }

    /** The user's sessions that are still valid: the calling one first, then the most recently active. */
    List<ActiveSession> list(String userId, HttpServletRequest request) {
        HttpSession current = request.getSession(false);
        String currentId = current == null ? null : current.getId();
        Instant now = Instant.now();
        List<ActiveSession> sessions = new ArrayList<>();
        for (Map.Entry<String, ? extends Session> entry : sessionsOf(userId).entrySet()) {
            Session session = entry.getValue();
            String ref = session.getAttribute(REF);
            if (ref == null || !isValid(session, now)) {
                continue;
            }
            boolean isCurrent = entry.getKey().equals(currentId);
            // The stored last access of the calling session is its previous request; this request is newer.
            Instant lastActive = isCurrent ? Instant.ofEpochMilli(current.getLastAccessedTime())
                    : session.getLastAccessedTime();
            sessions.add(new ActiveSession(ref, session.getCreationTime(), lastActive,
                    expiry(session.getCreationTime(), lastActive), session.getAttribute(IP),
                    Objects.requireNonNullElse(session.getAttribute(BROWSER), Browsers.UNKNOWN), isCurrent));
        }
        sessions.sort(Comparator.comparing(ActiveSession::current).reversed()
                .thenComparing(ActiveSession::lastActiveAt, Comparator.reverseOrder()));
        return sessions;
    }

    /** Ends the user's session with this opaque id (the calling one included); 404 when the user has none such. */
    void end(SignedInUser user, String ref, HttpServletRequest request) {
        Instant now = Instant.now();
        HttpSession current = request.getSession(false);
        for (Map.Entry<String, ? extends Session> entry : sessionsOf(user.id()).entrySet()) {
            Session session = entry.getValue();
            if (ref.equals(session.getAttribute(REF)) && isValid(session, now)) {
                String description = describe(session);
                endSession(entry.getKey(), current);
                audit.event(AuditAction.SESSION_ENDED).actor(user.id(), user.getUsername())
                        .target("session", ref, description).record();
                return;
            }
        }
        throw ApiException.notFound();
    }

    /** Ends every session of the user, the calling one included; returns how many were valid. */
    int endAll(SignedInUser user, HttpServletRequest request) {
        Instant now = Instant.now();
        HttpSession current = request.getSession(false);
        String currentId = current == null ? null : current.getId();
        int ended = 0;
        for (Map.Entry<String, ? extends Session> entry : sessionsOf(user.id()).entrySet()) {
            if (isValid(entry.getValue(), now)) {
                ended++;
            }
            if (!entry.getKey().equals(currentId)) {
                repository.deleteById(entry.getKey());
            }
        }
        if (current != null) {
            // Through the request, so that the response also clears the cookie.
            current.invalidate();
        }
        SecurityContextHolder.clearContext();
        audit.event(AuditAction.SIGN_OUT_EVERYWHERE).actor(user.id(), user.getUsername())
                .detail(ended + (ended == 1 ? " session" : " sessions") + " ended").record();
        return ended;
    }

    /**
     * The account feature's signal that an account's sessions must end (password changed or reset, account
     * disabled or deleted). Runs in the publisher's transaction when there is one, so the sessions end exactly
     * when the change is committed.
     */
    @EventListener
    void revoked(AccountSessionsRevoked event) {
        int ended = 0;
        for (String sessionId : sessionsOf(event.userId()).keySet()) {
            if (!sessionId.equals(event.keepSessionId())) {
                repository.deleteById(sessionId);
                ended++;
            }
        }
        if (ended > 0) {
            AuditLog.Event entry = audit.event(AuditAction.SESSION_ENDED).target("user", event.userId(), null)
                    .detail(ended + (ended == 1 ? " session" : " sessions")
                            + " ended: the account's password changed, or it was disabled or deleted");
            Authentication caller = SecurityContextHolder.getContext().getAuthentication();
            if (caller != null && caller.getPrincipal() instanceof SignedInUser actor) {
                entry.actor(actor.id(), actor.getUsername());
            }
            entry.record();
        }
    }

    private Map<String, ? extends Session> sessionsOf(String userId) {
        return repository.findByIndexNameAndIndexValue(USER_ID, userId);
    }

    private void endSession(String sessionId, HttpSession current) {
        if (current != null && current.getId().equals(sessionId)) {
            // Through the request, so that the response also clears the cookie.
            current.invalidate();
            SecurityContextHolder.clearContext();
        } else {
            repository.deleteById(sessionId);
        }
    }

    /** Neither idle for too long nor past its lifetime (rows wait up to a minute for the clean-up job). */
    private boolean isValid(Session session, Instant now) {
        return !session.isExpired() && now.isBefore(session.getCreationTime().plus(timeouts.maxLifetime()));
    }

    private Instant expiry(Instant created, Instant lastActive) {
        Instant idleEnd = lastActive.plus(timeouts.idle());
        Instant lifetimeEnd = created.plus(timeouts.maxLifetime());
        return idleEnd.isBefore(lifetimeEnd) ? idleEnd : lifetimeEnd;
    }

    private static String describe(Session session) {
        String browser = Objects.requireNonNullElse(session.getAttribute(BROWSER), Browsers.UNKNOWN);
        String ip = session.getAttribute(IP);
        return ip == null ? browser : browser + ", " + ip;
    }

    private static String newRef() {
        byte[] bytes = new byte[16];
        RANDOM.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }
}
