package dev.corral.web;

import org.springframework.http.CacheControl;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.core.io.ClassPathResource;
import org.springframework.core.io.Resource;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/** The browser UI is a single page: its client-side routes all answer with index.html. */
@RestController
class SpaController {

    private final Resource index = new ClassPathResource("static/index.html");

    @GetMapping(value = {"/", "/login", "/setup", "/signup", "/admin", "/account", "/c/{conversationId}"},
            produces = MediaType.TEXT_HTML_VALUE)
    ResponseEntity<Resource> index() {
        if (!index.exists()) {
            throw ApiException.notFound();
        }
        return ResponseEntity.ok().cacheControl(CacheControl.noCache()).contentType(MediaType.TEXT_HTML).body(index);
    }
}
