package org.tollgate.lb.l4;

import java.time.Duration;
import java.util.Optional;

/**
 * How backend health is judged, the way HAProxy's {@code check inter rise fall} and
 * nginx's {@code max_fails fail_timeout} do it.
 *
 * <ul>
 * <li>Active checks (when an {@link #interval()} is set): every interval each backend gets
 *     a TCP connect, bounded by {@link #timeout()}. An {@code UP} backend goes
 *     {@code DOWN} after {@link #fall()} failed checks in a row, a {@code DOWN} one comes
 *     back {@code UP} after {@link #rise()} good checks in a row.</li>
 * <li>Passive ejection (when {@link #ejectAfter()} is above 0): a backend that refused or
 *     timed out that many client connects in a row goes {@code DOWN} at once. It returns
 *     through the active checks if there are any, otherwise after {@link #cooldown()} it
 *     is given traffic again (nginx's {@code fail_timeout}); if it still fails, it is
 *     ejected again.</li>
 * </ul>
 * A {@code DRAINING} backend is left as it is: draining is an operator's decision.
 */
public final class HealthConfig {
    private final Duration interval;
    private final Duration timeout;
    private final int rise;
    private final int fall;
    private final int ejectAfter;
    private final Duration cooldown;

    private HealthConfig(Builder b) {
        if (b.interval != null && (b.interval.isNegative() || b.interval.isZero())) {
            throw new IllegalArgumentException("health check interval must be positive, not " + b.interval);
        }
        this.interval = b.interval;
        this.timeout = b.timeout != null ? positive(b.timeout, "health check timeout")
                : interval == null ? Duration.ofSeconds(2) : min(interval, Duration.ofSeconds(2));
        this.rise = atLeastOne(b.rise, "rise");
        this.fall = atLeastOne(b.fall, "fall");
        if (b.ejectAfter < 0) {
            throw new IllegalArgumentException("eject-after must be 0 (off) or more, not " + b.ejectAfter);
        }
        this.ejectAfter = b.ejectAfter;
        this.cooldown = positive(b.cooldown, "cool-down");
    }

    /** {@return a builder with the defaults: no active checks, rise 2, fall 3, ejection after 3 failed connects, 10 s cool-down} */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Time between active checks of one backend; empty when there are none.
     * @return the interval, if active checks are on
     */
    public Optional<Duration> interval() {
        return Optional.ofNullable(interval);
    }

    /** {@return how long one check's connect may take (default: the interval, at most 2 s)} */
    public Duration timeout() {
        return timeout;
    }

    /** {@return how many good checks in a row bring a {@code DOWN} backend back} */
    public int rise() {
        return rise;
    }

    /** {@return how many failed checks in a row take an {@code UP} backend down} */
    public int fall() {
        return fall;
    }

    /**
     * Failed client connects in a row that eject a backend; 0 turns passive ejection off.
     * @return the ejection threshold
     */
    public int ejectAfter() {
        return ejectAfter;
    }

    /** {@return how long an ejected backend stays out when there are no active checks} */
    public Duration cooldown() {
        return cooldown;
    }

    /** Builds a {@link HealthConfig}; every setting has the default named on {@link HealthConfig#builder()}. */
    public static final class Builder {
        /** A builder with every setting at its default; {@link HealthConfig#builder()} makes one. */
        public Builder() {
        }

        private Duration interval;
        private Duration timeout;
        private int rise = 2;
        private int fall = 3;
        private int ejectAfter = 3;
        private Duration cooldown = Duration.ofSeconds(10);

        /**
         * Turns on active checks: a TCP connect to each backend every {@code d} (HAProxy's {@code inter}).
         * @param d the interval
         * @return this builder
         */
        public Builder interval(Duration d) {
            this.interval = d;
            return this;
        }

        /**
         * See {@link HealthConfig#timeout()}.
         * @param d the timeout of one check
         * @return this builder
         */
        public Builder timeout(Duration d) {
            this.timeout = d;
            return this;
        }

        /**
         * See {@link HealthConfig#rise()}.
         * @param n good checks in a row
         * @return this builder
         */
        public Builder rise(int n) {
            this.rise = n;
            return this;
        }

        /**
         * See {@link HealthConfig#fall()}.
         * @param n failed checks in a row
         * @return this builder
         */
        public Builder fall(int n) {
            this.fall = n;
            return this;
        }

        /**
         * See {@link HealthConfig#ejectAfter()}.
         * @param n failed connects in a row, 0 for off
         * @return this builder
         */
        public Builder ejectAfter(int n) {
            this.ejectAfter = n;
            return this;
        }

        /**
         * See {@link HealthConfig#cooldown()}.
         * @param d the cool-down
         * @return this builder
         */
        public Builder cooldown(Duration d) {
            this.cooldown = d;
            return this;
        }

        /**
         * {@return the configuration}
         * @throws IllegalArgumentException when a setting is out of range
         */
        public HealthConfig build() {
            return new HealthConfig(this);
        }
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    private static Duration positive(Duration d, String what) {
        if (d == null || d.isZero() || d.isNegative()) {
            throw new IllegalArgumentException(what + " must be positive, not " + d);
        }
        return d;
    }

    private static int atLeastOne(int n, String what) {
        if (n < 1) {
            throw new IllegalArgumentException(what + " must be at least 1, not " + n);
        }
        return n;
    }
}
