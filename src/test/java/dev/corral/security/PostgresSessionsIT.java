package dev.corral.security;

import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import dev.corral.testsupport.PostgresDatabase;

/** The sessions contract with the sessions stored in PostgreSQL. */
@ExtendWith(PostgresDatabase.class)
class PostgresSessionsIT extends SessionsContract {

    @DynamicPropertySource
    static void postgres(DynamicPropertyRegistry registry) {
        String url = PostgresDatabase.createDatabase();
        registry.add("corral.database-url", () -> url);
    }
}
