package dev.corral.auth;

import java.util.Optional;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpSession;

import org.springframework.http.HttpStatus;
import org.springframework.security.authentication.AuthenticationManager;
import org.springframework.security.authentication.DisabledException;
import org.springframework.security.authentication.UsernamePasswordAuthenticationToken;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.AuthenticationException;
import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.security.core.context.SecurityContext;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.security.web.context.SecurityContextRepository;
import org.springframework.security.web.csrf.CsrfToken;
import org.springframework.security.web.csrf.DeferredCsrfToken;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;

import dev.corral.audit.AuditAction;
import dev.corral.audit.AuditLog;
import dev.corral.session.SessionService;
import dev.corral.user.SignedInUser;
import dev.corral.user.SignInFailures;
import dev.corral.user.User;
import dev.corral.user.UserService;
import dev.corral.web.ApiException;
import dev.corral.web.ErrorCode;
import dev.corral.web.RequestLogContext;

@RestController
class AuthController {

    record Credentials(String username, String password) {
    }

    record CsrfInfo(String headerName, String token) {
    }

    /** {@code signUpOpen}: whether the login page offers "Create an account" (POST /api/auth/signup). */
    record SetupState(boolean required, boolean signUpOpen) {
    }

    private static final java.util.regex.Pattern ATTEMPTED_NAME = java.util.regex.Pattern.compile("[A-Za-z0-9._-]{1,32}");

    private final AuthenticationManager authenticationManager;
    private final SecurityContextRepository contexts;
    private final UserService users;
    private final SignInLockout lockout;
    private final SessionService sessions;
    private final AuditLog audit;

    AuthController(AuthenticationManager authenticationManager, SecurityContextRepository contexts, UserService users,
                   SignInLockout lockout, SessionService sessions, AuditLog audit) {
        this.authenticationManager = authenticationManager;
        this.contexts = contexts;
        this.users = users;
        this.lockout = lockout;
        this.sessions = sessions;
        this.audit = audit;
    }

    /**
     * The raw token, the same value as the XSRF-TOKEN cookie (which this call sets), for clients that cannot read
     * cookies. The header must carry the raw value: the masked one that Spring renders for forms is refused there.
     */
    @GetMapping("/api/auth/csrf")
    CsrfInfo csrf(HttpServletRequest request) {
        CsrfToken token = ((DeferredCsrfToken) request.getAttribute(DeferredCsrfToken.class.getName())).get();
        return new CsrfInfo(token.getHeaderName(), token.getToken());
    }

    @PostMapping("/api/auth/login")
    User login(@RequestBody Credentials credentials, HttpServletRequest request, HttpServletResponse response) {
        if (credentials.username() == null || credentials.password() == null
                || credentials.username().length() > 64 || credentials.password().length() > UserService.MAX_PASSWORD_LENGTH) {
            audit.event(AuditAction.SIGN_IN).failure().actor(null, attemptedName(credentials.username()))
                    .detail("malformed credentials").record();
            throw invalidCredentials();
        }
        Optional<SignInFailures> failures = lockout.state(credentials.username());
        boolean locked = lockout.isLocked(failures);
        Authentication authentication;
        try {
            // Checked even when locked, so that a locked account takes as long to refuse as a wrong password.
            authentication = authenticationManager.authenticate(
                    UsernamePasswordAuthenticationToken.unauthenticated(credentials.username(), credentials.password()));
        } catch (AuthenticationException e) {
            // DisabledException comes after the password matched (SecurityConfig): a sign-up awaiting approval is
            // told so, while a wrong password still gets the one answer below.
            boolean pending = e instanceof DisabledException && !locked
                    && users.isPendingApproval(credentials.username());
            // Recorded before the lock-out's own entry, which this failure may trigger.
            audit.event(AuditAction.SIGN_IN).failure()
                    .actor(failures.map(SignInFailures::userId).orElse(null), attemptedName(credentials.username()))
                    .detail(failures.isEmpty() ? "unknown user" : locked ? "account locked"
                            : pending ? "account pending approval"
                            : e instanceof DisabledException ? "account disabled" : "wrong password")
                    .record();
            if (pending) {
                throw new ApiException(ErrorCode.ACCOUNT_PENDING,
                        "Your account awaits an admin's approval; try again once it is approved.");
            }
            if (!locked) {
                lockout.failed(credentials.username(), failures);
            }
            // One answer for an unknown user, a wrong password, a disabled and a locked account.
            throw invalidCredentials();
        }
        SignedInUser principal = (SignedInUser) authentication.getPrincipal();
        if (locked) {
            audit.event(AuditAction.SIGN_IN).failure().actor(principal.id(), principal.getUsername())
                    .detail("account locked").record();
            throw invalidCredentials();
        }
        lockout.succeeded(failures);
        String sessionRef = signIn(authentication, request, response);
        String userId = principal.id();
        RequestLogContext.signedIn(request, userId);
        audit.event(AuditAction.SIGN_IN).actor(userId, principal.getUsername()).target("session", sessionRef, null)
                .record();
        return users.findById(userId).orElseThrow();
    }

    @PostMapping("/api/auth/logout")
    @ResponseStatus(HttpStatus.NO_CONTENT)
    void logout(@AuthenticationPrincipal SignedInUser user, HttpServletRequest request) {
        if (user != null && user.viaApiKey()) {
            // A key request never touches the session a cookie sent alongside names (keys are stateless).
            return;
        }
        String sessionRef = sessions.currentRef(request);
        HttpSession session = request.getSession(false);
        if (session != null) {
            session.invalidate();
        }
        SecurityContextHolder.clearContext();
        if (user != null) {
            audit.event(AuditAction.SIGN_OUT).actor(user.id(), user.getUsername()).target("session", sessionRef, null)
                    .record();
        }
    }

    @GetMapping("/api/me")
    User me(@AuthenticationPrincipal SignedInUser user) {
        return users.findById(user.id()).orElseThrow(ApiException::notFound);
    }

    @GetMapping("/api/setup")
    SetupState setupState() {
        return new SetupState(!users.hasUsers(), users.signUpOpen());
    }

    @PostMapping("/api/setup")
    @ResponseStatus(HttpStatus.CREATED)
    User setup(@RequestBody Credentials credentials, HttpServletRequest request, HttpServletResponse response) {
        User admin = users.createFirstAdmin(credentials.username(), credentials.password())
                .orElseThrow(() -> new ApiException(ErrorCode.SETUP_DONE, "Corral is already set up; sign in instead."));
        SignedInUser principal = new SignedInUser(admin);
        principal.eraseCredentials();
        String sessionRef = signIn(
                UsernamePasswordAuthenticationToken.authenticated(principal, null, principal.getAuthorities()),
                request, response);
        audit.event(AuditAction.SETUP).actor(admin.id(), admin.username()).target("user", admin.id(), admin.username())
                .detail("first admin created and signed in").record();
        audit.event(AuditAction.SIGN_IN).actor(admin.id(), admin.username()).target("session", sessionRef, null)
                .record();
        return admin;
    }

    /** Signs in on a new session (indexed by the user's id, see SessionService); returns its opaque id. */
    private String signIn(Authentication authentication, HttpServletRequest request, HttpServletResponse response) {
        // A fresh session id on every sign-in defeats session fixation: the old session (and whatever id a client
        // arrived with) is deleted, never reused.
        HttpSession old = request.getSession(false);
        if (old != null) {
            old.invalidate();
        }
        request.getSession(true);
        SecurityContext context = SecurityContextHolder.createEmptyContext();
        context.setAuthentication(authentication);
        SecurityContextHolder.setContext(context);
        contexts.saveContext(context, request, response);
        return sessions.started(request, ((SignedInUser) authentication.getPrincipal()).id());
    }

    /**
     * The typed username as the audit log keeps it: only what could be a username. People type passwords into the
     * username field, and the log must not keep them (nor formulas for a spreadsheet, nor control characters).
     */
    private static String attemptedName(String typed) {
        return typed != null && ATTEMPTED_NAME.matcher(typed).matches() ? typed : "(not a username)";
    }

    private static ApiException invalidCredentials() {
        return new ApiException(ErrorCode.INVALID_CREDENTIALS, "Wrong username or password.");
    }
}
