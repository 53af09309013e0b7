package dev.corral.user;

import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PatchMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

import dev.corral.settings.Settings;
import dev.corral.settings.SettingsService;
import dev.corral.web.ApiException;

/**
 * Runtime settings an admin changes in the UI (today: whether sign-up is open). Lives with the accounts because the
 * principal type does; the settings themselves are the settings feature's.
 */
@RestController
@RequestMapping("/api/admin/settings")
class AdminSettingsController {

    record SettingsPatch(Boolean signUpOpen) {
    }

    private final SettingsService settings;

    AdminSettingsController(SettingsService settings) {
        this.settings = settings;
    }

    @GetMapping
    Settings get() {
        return settings.get();
    }

    @PatchMapping
    Settings update(@AuthenticationPrincipal SignedInUser admin, @RequestBody SettingsPatch patch) {
        AdminUserController.refuseApiKey(admin, "change settings");
        if (patch.signUpOpen() == null) {
            throw ApiException.invalid("signUpOpen", "must not be null");
        }
        return settings.setSignUpOpen(patch.signUpOpen(), admin.id(), admin.getUsername());
    }
}
