package dev.corral.security;

import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import dev.corral.testsupport.PostgresDatabase;

/**
 * The accounts contract with DATABASE_URL pointing at a fresh PostgreSQL database, where concurrent removals of the
 * last two admins need the lock that SQLite's single writer makes unnecessary. Its Corral is closed afterwards, so
 * that its connection pool does not stay open for the rest of the run.
 */
@ExtendWith(PostgresDatabase.class)
@DirtiesContext
class PostgresAccountsIT extends AccountsContract {

    @DynamicPropertySource
    static void postgres(DynamicPropertyRegistry registry) {
        String url = PostgresDatabase.createDatabase();
        registry.add("corral.database-url", () -> url);
    }
}
