package dev.corral.it;

/** The conversation and chat contract on the default database, SQLite. */
class SqliteConversationIT extends ConversationAndChatContract {
}
