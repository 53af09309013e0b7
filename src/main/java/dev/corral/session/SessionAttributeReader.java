package dev.corral.session;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.ObjectInputFilter;
import java.io.ObjectInputStream;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.ConfigurableObjectInputStream;
import org.springframework.core.convert.converter.Converter;

/**
 * Reads a stored session attribute (Java serialization, as Spring Session writes it) accepting only the classes a
 * Corral session holds: the JDK's own (strings, collections, times), Spring Security's context and tokens, and
 * Corral's principal. Anything else in the database is refused before it is instantiated. An attribute that cannot
 * be read (refused, or written by an incompatible version of a class) is treated as absent: at worst the user has
 * to sign in again, instead of every request of that session failing.
 */
final class SessionAttributeReader implements Converter<byte[], Object> {

    private static final Logger log = LoggerFactory.getLogger(SessionAttributeReader.class);

    static final ObjectInputFilter ALLOWED = ObjectInputFilter.Config.createFilter(
            "maxdepth=20;maxrefs=2000;maxbytes=1000000;maxarray=10000;"
                    + "java.base/*;org.springframework.security.**;dev.corral.**;!*");

    private final ClassLoader classLoader;

    SessionAttributeReader(ClassLoader classLoader) {
        this.classLoader = classLoader;
    }

    @Override
    public Object convert(byte[] bytes) {
        try (ObjectInputStream in = new ConfigurableObjectInputStream(new ByteArrayInputStream(bytes), classLoader)) {
            in.setObjectInputFilter(ALLOWED);
            return in.readObject();
        } catch (IOException | ClassNotFoundException | RuntimeException e) {
            log.atWarn().addKeyValue("event", "session_attribute_unreadable")
                    .log("A stored session attribute could not be read and is ignored: {}", e.getClass().getName());
            return null;
        }
    }
}
