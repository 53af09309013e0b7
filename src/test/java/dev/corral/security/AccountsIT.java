package dev.corral.security;

/** The accounts contract on SQLite (the default database). */
class AccountsIT extends AccountsContract {
}
