package org.tollgate.lb.l7;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Objects;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.tollgate.lb.balance.Backend;

/**
 * Sticky sessions by an inserted cookie (HAProxy's {@code cookie NAME insert indirect}):
 * the first response to a client carries {@code Set-Cookie: NAME=VALUE; Path=/; HttpOnly}
 * (and {@code Secure} over HTTPS, {@code SameSite=Lax}), where VALUE names the backend that
 * served it; later requests with that cookie go to the same backend while it is UP. When
 * it is down or draining, the pool's algorithm chooses, and the response carries the new
 * backend's cookie. The cookie is removed from the request before the backend sees it.
 *
 * <p>VALUE does not reveal the backend's name or address: it is the first 96 bits of
 * HMAC-SHA256(key, pool name, backend name) in base64url (RFC 4648 §5), 16 characters. The
 * key is random for each run of the program unless given; give the same key to every
 * instance (and across restarts) for clients to stay put when an L4 balancer spreads them
 * over several lb-l7 instances.
 *
 * @param name cookie name (an RFC 6265 §4.1.1 token)
 * @param key  HMAC key, at least 16 bytes
 */
public record StickyCookie(String name, byte[] key) {
    private static final Pattern TOKEN = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");
    /** One random key per process: the default keeps cookies valid across config reloads. */
    private static final byte[] PROCESS_KEY = new SecureRandom().generateSeed(32);

    /** Checks the name and the key length, and keeps a copy of the key. */
    public StickyCookie {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(key, "key");
        if (!TOKEN.matcher(name).matches()) {
            throw new IllegalArgumentException("not a cookie name: '" + name + "'");
        }
        if (key.length < 16) {
            throw new IllegalArgumentException("the sticky cookie key must have at least 16 bytes, not " + key.length);
        }
        key = key.clone();
    }

    /** A cookie {@code name} with this process's random key. */
    public static StickyCookie of(String name) {
        return new StickyCookie(name, PROCESS_KEY);
    }

    /** The key (a copy). */
    @Override
    public byte[] key() {
        return key.clone();
    }

    /** The cookie value that stands for {@code backend} of pool {@code pool}. */
    public String valueFor(String pool, Backend backend) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            mac.update(pool.getBytes(StandardCharsets.UTF_8));
            mac.update((byte) 0);
            byte[] tag = mac.doFinal(backend.name().getBytes(StandardCharsets.UTF_8));
            return Base64.getUrlEncoder().withoutPadding().encodeToString(java.util.Arrays.copyOf(tag, 12));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is missing from this JDK", e);
        }
    }

    /** The Set-Cookie value for {@code value} (RFC 6265 §4.1). */
    String setCookie(String value, boolean secure) {
        return name + "=" + value + "; Path=/; HttpOnly" + (secure ? "; Secure" : "") + "; SameSite=Lax";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof StickyCookie s && s.name.equals(name) && java.security.MessageDigest.isEqual(s.key, key);
    }

    @Override
    public int hashCode() {
        return name.hashCode();
    }

    @Override
    public String toString() {
        return "StickyCookie[" + name + "]"; // never the key
    }
}
