package dev.corral.it;

import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import dev.corral.testsupport.PostgresDatabase;

/** The same contract with DATABASE_URL pointing at a fresh PostgreSQL database. */
@ExtendWith(PostgresDatabase.class)
class PostgresConversationIT extends ConversationAndChatContract {

    @DynamicPropertySource
    static void postgres(DynamicPropertyRegistry registry) {
        String url = PostgresDatabase.createDatabase();
        registry.add("corral.database-url", () -> url);
    }
}
