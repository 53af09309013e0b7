package dev.corral.security;

import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import dev.corral.testsupport.PostgresDatabase;

/**
 * The sessions contract with the sessions stored in PostgreSQL. Its Corral is closed after the class, so that its
 * connection pool does not stay open next to the other PostgreSQL test contexts.
 */
@ExtendWith(PostgresDatabase.class)
@DirtiesContext(classMode = DirtiesContext.ClassMode.AFTER_CLASS)
class PostgresSessionsIT extends SessionsContract {

    @DynamicPropertySource
    static void postgres(DynamicPropertyRegistry registry) {
        String url = PostgresDatabase.createDatabase();
        registry.add("corral.database-url", () -> url);
    }
}
