package dev.corral.auth;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.ApplicationArguments;
import org.springframework.boot.ApplicationRunner;
import org.springframework.stereotype.Component;

import dev.corral.audit.AuditAction;
import dev.corral.audit.AuditLog;
import dev.corral.config.CorralProperties;
import dev.corral.user.UserService;
import dev.corral.web.ApiException;

/**
 * On a first start with no user, CORRAL_ADMIN_USERNAME and CORRAL_ADMIN_PASSWORD create the admin. Without them
 * the browser shows the setup page instead. Once any user exists both settings are ignored.
 */
@Component
class InitialAdmin implements ApplicationRunner {

    private static final Logger log = LoggerFactory.getLogger(InitialAdmin.class);

    private final CorralProperties properties;
    private final UserService users;
    private final AuditLog audit;

    InitialAdmin(CorralProperties properties, UserService users, AuditLog audit) {
        this.properties = properties;
        this.users = users;
        this.audit = audit;
    }

    @Override
    public void run(ApplicationArguments args) {
        String username = properties.admin().username();
        String password = properties.admin().password();
        if (username.isBlank() || password.isBlank() || users.hasUsers()) {
            if (!users.hasUsers()) {
                log.info("No account yet: open Corral in a browser to create the admin account.");
            }
            return;
        }
        try {
            users.createFirstAdmin(username, password)
                    .ifPresent(admin -> {
                        log.info("Created the admin account '{}' from CORRAL_ADMIN_USERNAME.", admin.username());
                        audit.event(AuditAction.SETUP).actor(admin.id(), admin.username())
                                .target("user", admin.id(), admin.username()).detail("from CORRAL_ADMIN_USERNAME")
                                .record();
                    });
        } catch (ApiException e) {
            throw new IllegalStateException("CORRAL_ADMIN_USERNAME / CORRAL_ADMIN_PASSWORD rejected: "
                    + e.fields().values().stream().findFirst().orElse(e.getMessage()), e);
        }
    }
}
