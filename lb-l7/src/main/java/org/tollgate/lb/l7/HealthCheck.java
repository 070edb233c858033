package org.tollgate.lb.l7;

import java.util.Objects;
import org.tollgate.lb.l4.HealthConfig;

/**
 * Health of a pool's backends: active HTTP checks and passive ejection, with lb-l4's
 * {@link HealthConfig} for the timing and the rules (interval, timeout, rise, fall,
 * eject-after, cool-down).
 *
 * <ul>
 * <li>Active (when {@code timing} has an interval): every interval each backend gets
 *     {@code GET path HTTP/1.1} on a fresh connection ({@code Connection: close},
 *     {@code Host} the backend's address; HTTPS with the pool's TLS settings when it
 *     re-encrypts, a certificate that does not verify failing the check); the check passes when the status is
 *     {@code expectedStatus} within the timeout. Fall failures in a row take a backend
 *     DOWN, rise passes bring it back.</li>
 * <li>Passive (when {@code timing.ejectAfter()} is above 0): connect errors, resets,
 *     timeouts, invalid responses and 5xx responses from a backend count as failures;
 *     that many in a row eject it (DOWN). It comes back through the active checks, or
 *     without them after the cool-down.</li>
 * </ul>
 *
 * @param path           request-target of the check, e.g. {@code /health}
 * @param expectedStatus the status a healthy backend answers, e.g. 200
 * @param timing         interval, timeout, rise, fall, eject-after and cool-down
 */
public record HealthCheck(String path, int expectedStatus, HealthConfig timing) {

    /**
     * Checks the path (origin-form, no spaces or controls) and the status range.
     * @param path the origin-form path an active check asks for
     * @param expectedStatus the status a healthy backend answers
     * @param timing interval, timeout, rise, fall and ejection settings
     */
    public HealthCheck {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(timing, "timing");
        if (!path.startsWith("/") || path.chars().anyMatch(c -> c <= ' ' || c >= 0x7f)) {
            throw new IllegalArgumentException("health check path must start with / and hold no spaces or controls: '" + path + "'");
        }
        if (expectedStatus < 100 || expectedStatus > 599) {
            throw new IllegalArgumentException("expected status must be 100 to 599, not " + expectedStatus);
        }
    }

    /**
     * Passive ejection only (no active check): {@code timing} needs no interval.
     * @param timing the ejection settings
     * @return the health check
     */
    public static HealthCheck passive(HealthConfig timing) {
        return new HealthCheck("/", 200, timing);
    }
}
