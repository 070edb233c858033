package org.tollgate.lb.l4;

import java.time.Duration;

/** Durations as people write them in configuration: {@code 250ms}, {@code 2s}, {@code 5m}, {@code 1h}. */
final class Durations {
    private Durations() {
    }

    static Duration parse(String text) {
        String t = text.trim();
        int i = 0;
        while (i < t.length() && Character.isDigit(t.charAt(i))) {
            i++;
        }
        if (i == 0 || i > 12) {
            throw new IllegalArgumentException("expected a duration such as 500ms, 2s, 5m or 1h, not '" + text + "'");
        }
        long n = Long.parseLong(t.substring(0, i));
        switch (t.substring(i)) {
            case "ms":
                return Duration.ofMillis(n);
            case "s":
                return Duration.ofSeconds(n);
            case "m":
                return Duration.ofMinutes(n);
            case "h":
                return Duration.ofHours(n);
            default:
                throw new IllegalArgumentException("a duration needs a unit (ms, s, m or h): '" + text + "'");
        }
    }
}
