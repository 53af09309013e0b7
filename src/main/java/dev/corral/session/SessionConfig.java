package dev.corral.session;

import java.time.Duration;
import java.util.Map;

import org.springframework.beans.factory.BeanClassLoaderAware;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.core.convert.ConversionService;
import org.springframework.core.convert.support.GenericConversionService;
import org.springframework.core.serializer.support.SerializingConverter;
import org.springframework.session.FindByIndexNameSessionRepository;
import org.springframework.session.IndexResolver;
import org.springframework.session.Session;
import org.springframework.session.config.SessionRepositoryCustomizer;
import org.springframework.session.jdbc.JdbcIndexedSessionRepository;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.TransactionDefinition;
import org.springframework.transaction.support.TransactionTemplate;

import dev.corral.config.CorralProperties;

/**
 * Spring Session JDBC (Boot's auto-configuration, tables from Flyway's V4) adjusted for Corral:
 * <ul>
 * <li>its statements join the caller's transaction instead of always opening a new one (Spring Session's default
 * is REQUIRES_NEW): with SQLite's single pooled connection, a new transaction inside a running one (e.g. deleting
 * a disabled account's sessions) would wait forever for the connection its own thread holds;</li>
 * <li>sessions are indexed by the user id that sign-in stores, never by the username;</li>
 * <li>stored attributes are read back through an allow-list of classes, and one that cannot be read counts as
 * absent (the user is signed out) instead of failing every request;</li>
 * <li>timeouts from {@link CorralProperties.Session}.</li>
 * </ul>
 */
@Configuration(proxyBeanMethods = false)
class SessionConfig implements BeanClassLoaderAware {

    private ClassLoader classLoader;

    @Override
    public void setBeanClassLoader(ClassLoader classLoader) {
        this.classLoader = classLoader;
    }

    /**
     * The transactions of Spring Session's repository. Declared as a TransactionTemplate with the default
     * propagation (REQUIRED), so it also stands in for Boot's own {@code transactionTemplate}, which it is equal to.
     */
    @Bean("springSessionTransactionOperations")
    TransactionTemplate springSessionTransactionOperations(PlatformTransactionManager transactionManager) {
        TransactionTemplate template = new TransactionTemplate(transactionManager);
        template.setPropagationBehavior(TransactionDefinition.PROPAGATION_REQUIRED);
        return template;
    }

    @Bean("springSessionConversionService")
    ConversionService springSessionConversionService() {
        GenericConversionService conversion = new GenericConversionService();
        conversion.addConverter(Object.class, byte[].class, new SerializingConverter());
        conversion.addConverter(byte[].class, Object.class, new SessionAttributeReader(classLoader));
        return conversion;
    }

    /** The principal index is the user id that {@link SessionService#started} stores, and nothing else. */
    @Bean
    IndexResolver<Session> sessionIndexResolver() {
        return session -> {
            String userId = session.getAttribute(FindByIndexNameSessionRepository.PRINCIPAL_NAME_INDEX_NAME);
            return userId == null ? Map.of()
                    : Map.of(FindByIndexNameSessionRepository.PRINCIPAL_NAME_INDEX_NAME, userId);
        };
    }

    /** After Boot's customizer (which applies server.servlet.session.timeout), so that Corral's settings win. */
    @Bean
    @Order(Ordered.LOWEST_PRECEDENCE)
    SessionRepositoryCustomizer<JdbcIndexedSessionRepository> corralSessionTimeouts(SessionTimeouts timeouts) {
        return repository -> repository.setDefaultMaxInactiveInterval(timeouts.initialMaxInactive());
    }

    @Bean
    SessionTimeouts sessionTimeouts(CorralProperties properties) {
        return new SessionTimeouts(properties.session());
    }

    /** The two limits, checked at startup. */
    record SessionTimeouts(Duration idle, Duration maxLifetime) {

        SessionTimeouts(CorralProperties.Session settings) {
            this(settings.idleTimeout(), settings.maxLifetime());
        }

        SessionTimeouts {
            if (idle == null || idle.toSeconds() < 1 || idle.toSeconds() > Integer.MAX_VALUE) {
                throw new IllegalStateException("SESSION_IDLE_TIMEOUT must be at least 1s (e.g. 30m), not " + idle);
            }
            if (maxLifetime == null || maxLifetime.toSeconds() < 1) {
                throw new IllegalStateException("SESSION_MAX_LIFETIME must be at least 1s (e.g. 7d), not " + maxLifetime);
            }
        }

        /** A new session's idle timeout: the idle timeout, or the whole lifetime when that is shorter. */
        Duration initialMaxInactive() {
            return Duration.ofSeconds(Math.min(idle.toSeconds(), maxLifetime.toSeconds()));
        }
    }
}
