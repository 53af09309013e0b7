package dev.corral.web;

import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

import dev.corral.config.CorralProperties;

/** Limits the UI shows before the server would refuse (the composer's character counter); signed-in users only. */
@RestController
class UiConfigController {

    record UiConfig(int maxMessageChars) {
    }

    private final UiConfig config;

    UiConfigController(CorralProperties properties) {
        this.config = new UiConfig(properties.chat().maxMessageChars());
    }

    @GetMapping("/api/config")
    UiConfig config() {
        return config;
    }
}
