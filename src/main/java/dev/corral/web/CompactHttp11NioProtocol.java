package dev.corral.web;

import org.apache.coyote.http11.Http11NioProtocol;

/**
 * Tomcat's NIO HTTP/1.1 connector with a 1 KB response buffer instead of 8 KB (Tomcat allocates 8 KB of bytes and
 * 8 K chars, 24 KB in all, per request it serves). An answer stream keeps its request open for as long as the answer
 * runs and writes small events that it flushes at once, so the big buffer is idle heap: a thousand streams held
 * ~20 MB of it, which the garbage collector kept scanning. Larger writes (a finished message) go straight through.
 * Set by {@link TomcatConnectionBuffers}; Tomcat creates it by class name, hence public with a no-argument constructor.
 */
public class CompactHttp11NioProtocol extends Http11NioProtocol {

    static final int RESPONSE_BUFFER_BYTES = 1024;

    @Override
    public int getDesiredBufferSize() {
        return RESPONSE_BUFFER_BYTES;
    }
}
