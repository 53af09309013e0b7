package dev.corral.security;

/** The sessions contract on SQLite (the shared Corral). */
class SessionsIT extends SessionsContract {
}
