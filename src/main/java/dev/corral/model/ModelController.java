package dev.corral.model;

import java.net.URI;
import java.util.List;

import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

import dev.corral.ollama.OllamaClient;
import dev.corral.ollama.OllamaException;
import dev.corral.web.ApiException;

/** The models a user can chat with: those installed in Ollama. */
@RestController
class ModelController {

    record ModelList(List<OllamaClient.ModelInfo> models, URI ollamaUrl) {
    }

    private final OllamaClient ollama;

    ModelController(OllamaClient ollama) {
        this.ollama = ollama;
    }

    @GetMapping("/api/models")
    ModelList models() {
        try {
            return new ModelList(ollama.listModels(), ollama.baseUrl());
        } catch (OllamaException e) {
            throw new ApiException(e.code(), e.getMessage());
        }
    }
}
