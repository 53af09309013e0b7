package dev.corral.auth;

import java.util.Map;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.HttpMethod;
import org.springframework.security.authentication.AuthenticationManager;
import org.springframework.security.authentication.DisabledException;
import org.springframework.security.authentication.ProviderManager;
import org.springframework.security.authentication.dao.DaoAuthenticationProvider;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.annotation.web.configurers.AbstractHttpConfigurer;
import org.springframework.security.crypto.bcrypt.BCryptPasswordEncoder;
import org.springframework.security.crypto.password.DelegatingPasswordEncoder;
import org.springframework.security.crypto.password.PasswordEncoder;
import org.springframework.security.crypto.password.Pbkdf2PasswordEncoder;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.security.web.authentication.AnonymousAuthenticationFilter;
import org.springframework.security.web.context.HttpSessionSecurityContextRepository;
import org.springframework.security.web.context.SecurityContextRepository;
import org.springframework.security.web.csrf.CsrfException;
import org.springframework.security.web.csrf.CsrfFilter;
import org.springframework.security.web.header.writers.ReferrerPolicyHeaderWriter;

import dev.corral.apikey.ApiKeyService;
import dev.corral.config.CorralProperties;
import dev.corral.ratelimit.RateLimitConfig;
import dev.corral.ratelimit.SignedInRateLimitFilter;
import dev.corral.user.UserService;
import dev.corral.web.BrowserHeaders;
import dev.corral.web.ErrorCode;
import dev.corral.web.ErrorResponses;

@Configuration(proxyBeanMethods = false)
class SecurityConfig {

    private static final String PBKDF2 = "pbkdf2@SpringSecurity_v5_8";

    @Bean
    PasswordEncoder passwordEncoder() {
        // New hashes: PBKDF2-HMAC-SHA256 (Spring Security's 5.8 defaults: 310,000 iterations, 16-byte salt), which
        // takes any password of the policy's 12-128 characters; bcrypt refuses more than 72 bytes. The {id} prefix
        // keeps the bcrypt hashes of existing accounts working.
        DelegatingPasswordEncoder encoder = new DelegatingPasswordEncoder(PBKDF2, Map.of(
                PBKDF2, Pbkdf2PasswordEncoder.defaultsForSpringSecurity_v5_8(),
                "bcrypt", new BCryptPasswordEncoder()));
        return encoder;
    }

    @Bean
    SecurityContextRepository securityContextRepository() {
        return new HttpSessionSecurityContextRepository();
    }

    @Bean
    AuthenticationManager authenticationManager(AccountUserDetailsService userDetails, PasswordEncoder encoder) {
        DaoAuthenticationProvider provider = new DaoAuthenticationProvider(userDetails);
        provider.setPasswordEncoder(encoder);
        // A disabled (or pending) account is refused only after its password was checked: every refusal costs the
        // same hash, and a correct password of a sign-up awaiting approval can be told "pending" (AuthController).
        provider.setPreAuthenticationChecks(user -> {
        });
        provider.setPostAuthenticationChecks(user -> {
            if (!user.isEnabled()) {
                throw new DisabledException("disabled");
            }
        });
        return new ProviderManager(provider);
    }

    @Bean
    SecurityFilterChain securityFilterChain(HttpSecurity http, ErrorResponses errors, UserService users,
                                            SecurityContextRepository contexts,
                                            MetricsAccess metricsAccess, CorralProperties properties,
                                            RateLimitConfig rateLimits, ApiKeyService apiKeys) throws Exception {
        // Browser protections on every response that passes through here (HTML, JSON, event streams and the /error
        // dispatch). HSTS is written only on secure requests (HTTPS, or X-Forwarded-Proto from a trusted proxy with
        // FORWARD_HEADERS_STRATEGY=native): over plain HTTP it would be ignored or pin a broken setup.
        http.headers(headers -> headers
                .contentSecurityPolicy(csp -> csp.policyDirectives(BrowserHeaders.CONTENT_SECURITY_POLICY))
                .frameOptions(frame -> frame.deny())
                .referrerPolicy(referrer -> referrer.policy(
                        ReferrerPolicyHeaderWriter.ReferrerPolicy.get(BrowserHeaders.REFERRER_POLICY)))
                .permissionsPolicyHeader(permissions -> permissions.policy(BrowserHeaders.PERMISSIONS_POLICY))
                .httpStrictTransportSecurity(hsts -> hsts
                        .maxAgeInSeconds(BrowserHeaders.HSTS_MAX_AGE_SECONDS).includeSubDomains(true)));
        // CORS is off unless CORS_ORIGINS lists origins (checked, fail-fast, by CorsPolicy). Spring's CorsFilter
        // goes where Spring Security's cors() would put it (before the CSRF check), with a JSON rejection.
        http.cors(AbstractHttpConfigurer::disable);
        if (!properties.corsOrigins().stream().allMatch(String::isBlank)) {
            http.addFilterBefore(CorsPolicy.filter(properties.corsOrigins(), errors), CsrfFilter.class);
        }
        http
                .authorizeHttpRequests(auth -> auth
                        .requestMatchers(HttpMethod.GET, "/api/setup", "/api/auth/csrf").permitAll()
                        .requestMatchers(HttpMethod.POST, "/api/setup", "/api/auth/login", "/api/auth/logout").permitAll()
                        .requestMatchers(HttpMethod.POST, "/api/auth/signup").permitAll()
                        .requestMatchers("/api/admin/**").hasRole("ADMIN")
                        .requestMatchers("/metrics").access(metricsAccess)
                        .requestMatchers("/metrics/**").hasRole("ADMIN")
                        .requestMatchers("/api/**").authenticated()
                        // Actuator at the root (management.endpoints.web.base-path): details only for admins.
                        .requestMatchers("/health", "/health/**").permitAll()
                        .requestMatchers("/info").hasRole("ADMIN")
                        .requestMatchers("/actuator/health", "/actuator/health/**").permitAll()
                        .requestMatchers("/actuator/**").hasRole("ADMIN")
                        .requestMatchers("/backup/**").hasRole("ADMIN")
                        // The single-page UI and its assets are public; everything they show comes from /api.
                        .anyRequest().permitAll())
                .securityContext(context -> context.securityContextRepository(contexts))
                // Double-submit cookie XSRF-TOKEN / header X-XSRF-TOKEN, as the SPA sends it.
                .csrf(csrf -> csrf.spa()
                        // A request with bearer credentials is authenticated by its API key or refused before any
                        // controller runs, never by the session cookie; browsers do not attach an Authorization
                        // header to a cross-site request (only a CORS-approved script could), so no token is needed.
                        .ignoringRequestMatchers(ApiKeyAuthenticationFilter::hasBearer))
                .exceptionHandling(handling -> handling
                        .authenticationEntryPoint((request, response, e) ->
                                errors.write(response, ErrorCode.UNAUTHENTICATED, "Sign in first."))
                        .accessDeniedHandler((request, response, e) -> {
                            if (e instanceof CsrfException) {
                                errors.write(response, ErrorCode.CSRF_INVALID,
                                        "Missing or wrong CSRF token: send the XSRF-TOKEN cookie's value as X-XSRF-TOKEN.");
                            } else {
                                errors.write(response, ErrorCode.FORBIDDEN, "You are not allowed to do that.");
                            }
                        }))
                .formLogin(AbstractHttpConfigurer::disable)
                .httpBasic(AbstractHttpConfigurer::disable)
                .logout(AbstractHttpConfigurer::disable)
                .requestCache(AbstractHttpConfigurer::disable)
                .addFilterBefore(new ActiveAccountFilter(users), AnonymousAuthenticationFilter.class)
                // Per-user limits once the account is known (ActiveAccountFilter names it), before any authorization.
                .addFilterAfter(rateLimits.signedInFilter(), ActiveAccountFilter.class)
                // Authorization: Bearer <API key>, before the CSRF check; a key that does not authenticate is
                // refused after the rate limit has counted it (so trying keys is limited per client IP).
                .addFilterBefore(new ApiKeyAuthenticationFilter(apiKeys, metricsAccess), CsrfFilter.class)
                .addFilterAfter(new ApiKeyAuthenticationFilter.Rejection(errors), SignedInRateLimitFilter.class);
        return http.build();
    }
}
