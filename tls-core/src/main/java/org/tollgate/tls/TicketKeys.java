package org.tollgate.tls;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The keys that seal session tickets (TLS 1.3 NewSessionTicket, RFC 8446 §4.6.1; TLS 1.2
 * RFC 5077), so that a server keeps no per-session state: everything it needs to resume a
 * session travels, encrypted and authenticated, inside the ticket the client stores.
 *
 * <p>Each key is a 16-byte key name and a 32-byte AES-256-GCM key (RFC 5077 §4 recommends the
 * same shape with CBC and HMAC; an AEAD does both jobs at once). A sealed ticket is
 * {@code key_name(16) || nonce(12) || AES-256-GCM(state) with tag(16)}, the key name being the
 * associated data. The current key seals; the current and the previous key open, so tickets
 * survive one rotation.
 *
 * <p>Two sources:
 * <ul>
 * <li>{@link #generate(Duration, Clock, SecureRandom)}: random keys in memory that rotate every
 * {@code interval}; a ticket then opens for between one and two intervals, so the ticket
 * lifetime should not exceed the interval. One process only.</li>
 * <li>{@link #load(Path)}: keys from a key file, so that several server processes (behind a
 * load balancer) resume each other's sessions. The file is re-read when its content changes
 * (checked at most once a second) or on {@link #reload()}; rotating means writing a new first line on every
 * machine ({@link #rotateKeyFile(Path, SecureRandom)} does it).</li>
 * </ul>
 *
 * <p>Key file format: text, one key per line, {@code #} starts a comment. Each line is the key
 * name and the key in hex, separated by a space: 32 hex digits, a space, 64 hex digits. The
 * first key seals and opens, the following ones (normally one: the previous key) only open.
 * The file holds secrets: keep it readable by the server only ({@link #writeNewKeyFile} makes it
 * mode 600 where the file system allows).
 *
 * <p>Thread-safe: one instance serves every connection of a server. Keys are never logged.
 */
public final class TicketKeys {
    /** Length of a key name. */
    public static final int KEY_NAME_LENGTH = 16;
    private static final int KEY_LENGTH = 32;
    private static final int NONCE_LENGTH = 12;
    private static final int TAG_LENGTH = 16;
    /** Bytes a sealed ticket adds to the sealed state. */
    public static final int OVERHEAD = KEY_NAME_LENGTH + NONCE_LENGTH + TAG_LENGTH;
    private static final Duration RELOAD_CHECK = Duration.ofSeconds(1);

    /** One key: its public name and the AES-256 key (never printed). */
    private record Key(byte[] name, SecretKeySpec key, Instant created) {
        @Override
        public String toString() {
            return "TicketKey[" + HexFormat.of().formatHex(name) + "]";
        }
    }

    private final Path file;
    private final Duration interval;
    private final Clock clock;
    private final SecureRandom random;
    /** keys.get(0) seals; all of them open. */
    private List<Key> keys;
    /** The key file's bytes as last read, to notice a change. */
    private byte[] fileBytes;
    private Instant lastCheck = Instant.MIN;

    private TicketKeys(Path file, Duration interval, Clock clock, SecureRandom random, List<Key> keys, byte[] fileBytes) {
        this.file = file;
        this.interval = interval;
        this.clock = clock;
        this.random = random;
        this.keys = keys;
        this.fileBytes = fileBytes;
    }

    /**
     * Random in-memory keys rotating every {@code interval}: after each interval a new key
     * seals and the old one only opens, for one more interval.
     * @param interval how long a key seals
     * @param clock the clock that decides rotation
     * @param random the source of the keys
     * @return the keys
     */
    public static TicketKeys generate(Duration interval, Clock clock, SecureRandom random) {
        if (interval.isNegative() || interval.isZero()) {
            throw new IllegalArgumentException("ticket key rotation interval must be positive, not " + interval);
        }
        Objects.requireNonNull(clock);
        Objects.requireNonNull(random);
        return new TicketKeys(null, interval, clock, random, List.of(newKey(random, clock.instant())), null);
    }

    /** {@return random in-memory keys rotating every 12 hours, with the system clock} */
    public static TicketKeys generate() {
        return generate(Duration.ofHours(12), Clock.systemUTC(), new SecureRandom());
    }

    /**
     * Keys from a key file (see the class comment for the format), re-read when the file changes.
     * @param file the key file
     * @return the keys
     * @throws IOException when the file cannot be read or does not parse
     */
    public static TicketKeys load(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        return new TicketKeys(file, null, Clock.systemUTC(), null, parse(file, bytes), bytes);
    }

    /**
     * Re-reads the key file now (a no-op for generated keys). A file that no longer parses keeps the old keys.
     * @throws IOException when the file cannot be read
     */
    public synchronized void reload() throws IOException {
        if (file != null) {
            byte[] bytes = Files.readAllBytes(file);
            keys = parse(file, bytes);
            fileBytes = bytes;
        }
    }

    /** {@return the name of the key that seals now, in hex (to compare servers; the key itself is never shown)} */
    public synchronized String currentKeyName() {
        refresh();
        return HexFormat.of().formatHex(keys.get(0).name());
    }

    /** {@return the number of keys that open tickets (the current one and the older ones still accepted)} */
    public synchronized int size() {
        refresh();
        return keys.size();
    }

    /**
     * Encrypts and authenticates {@code state} under the current key.
     * @param state the session state to seal
     * @return the ticket: key name, nonce, ciphertext and tag
     */
    public byte[] seal(byte[] state) {
        Key k;
        synchronized (this) {
            refresh();
            k = keys.get(0);
        }
        byte[] nonce = new byte[NONCE_LENGTH];
        synchronized (this) {
            (random != null ? random : DEFAULT_RANDOM).nextBytes(nonce);
        }
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.ENCRYPT_MODE, k.key(), new GCMParameterSpec(TAG_LENGTH * 8, nonce));
            c.updateAAD(k.name());
            byte[] sealed = c.doFinal(state);
            byte[] out = new byte[KEY_NAME_LENGTH + NONCE_LENGTH + sealed.length];
            System.arraycopy(k.name(), 0, out, 0, KEY_NAME_LENGTH);
            System.arraycopy(nonce, 0, out, KEY_NAME_LENGTH, NONCE_LENGTH);
            System.arraycopy(sealed, 0, out, KEY_NAME_LENGTH + NONCE_LENGTH, sealed.length);
            return out;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM is not available", e);
        }
    }

    /**
     * The state sealed in {@code ticket}, or null when no current key has its name or it does
     * not authenticate (garbled, forged, or sealed by a key rotated out). Never throws for bad input.
     * @param ticket the ticket as the client sent it
     * @return the state, or null
     */
    public byte[] open(byte[] ticket) {
        if (ticket.length < OVERHEAD) {
            return null;
        }
        Key k = null;
        synchronized (this) {
            refresh();
            for (Key candidate : keys) {
                if (MessageDigest.isEqual(candidate.name(), java.util.Arrays.copyOf(ticket, KEY_NAME_LENGTH))) {
                    k = candidate;
                    break;
                }
            }
        }
        if (k == null) {
            return null;
        }
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.DECRYPT_MODE, k.key(), new GCMParameterSpec(TAG_LENGTH * 8, ticket, KEY_NAME_LENGTH, NONCE_LENGTH));
            c.updateAAD(ticket, 0, KEY_NAME_LENGTH);
            return c.doFinal(ticket, KEY_NAME_LENGTH + NONCE_LENGTH, ticket.length - KEY_NAME_LENGTH - NONCE_LENGTH);
        } catch (javax.crypto.AEADBadTagException e) {
            return null;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM is not available", e);
        }
    }

    private static final SecureRandom DEFAULT_RANDOM = new SecureRandom();

    /** Rotates generated keys by time, or re-reads a changed key file (at most once a second). */
    private void refresh() {
        Instant now = clock.instant();
        if (file == null) {
            Key current = keys.get(0);
            if (!now.isBefore(current.created().plus(interval))) {
                // The old key opens for one more interval; anything older is gone.
                Key fresh = newKey(random, now);
                keys = now.isBefore(current.created().plus(interval.multipliedBy(2))) ? List.of(fresh, current) : List.of(fresh);
            }
            return;
        }
        if (now.isBefore(lastCheck.plus(RELOAD_CHECK)) && !lastCheck.equals(Instant.MIN)) {
            return;
        }
        lastCheck = now;
        try {
            byte[] bytes = Files.readAllBytes(file);
            if (!java.util.Arrays.equals(bytes, fileBytes)) {
                keys = parse(file, bytes);
                fileBytes = bytes;
                System.getLogger(TicketKeys.class.getName()).log(System.Logger.Level.INFO,
                        "ticket key file " + file.getFileName() + " reloaded: " + keys.size() + " key(s), sealing with "
                                + HexFormat.of().formatHex(keys.get(0).name()));
            }
        } catch (IOException | UncheckedIOException | IllegalArgumentException e) {
            System.getLogger(TicketKeys.class.getName()).log(System.Logger.Level.WARNING,
                    "ticket key file " + file.getFileName() + " could not be re-read, keeping the old keys: " + e.getMessage());
        }
    }

    private static Key newKey(SecureRandom random, Instant now) {
        byte[] name = new byte[KEY_NAME_LENGTH];
        byte[] key = new byte[KEY_LENGTH];
        random.nextBytes(name);
        random.nextBytes(key);
        return new Key(name, new SecretKeySpec(key, "AES"), now);
    }

    private static List<Key> parse(Path file, byte[] bytes) {
        List<Key> out = new ArrayList<>();
        int lineNumber = 0;
        for (String line : new String(bytes, StandardCharsets.US_ASCII).split("\n")) {
            lineNumber++;
            String l = line.strip();
            int hash = l.indexOf('#');
            if (hash >= 0) {
                l = l.substring(0, hash).strip();
            }
            if (l.isEmpty()) {
                continue;
            }
            String[] parts = l.split("\\s+");
            if (parts.length != 2 || parts[0].length() != 2 * KEY_NAME_LENGTH || parts[1].length() != 2 * KEY_LENGTH) {
                throw new IllegalArgumentException(file.getFileName() + " line " + lineNumber
                        + ": expected a 32-hex-digit key name, a space and a 64-hex-digit key");
            }
            try {
                out.add(new Key(HexFormat.of().parseHex(parts[0]),
                        new SecretKeySpec(HexFormat.of().parseHex(parts[1]), "AES"), Instant.EPOCH));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(file.getFileName() + " line " + lineNumber + ": not hex");
            }
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException(file.getFileName() + " holds no ticket key");
        }
        return List.copyOf(out);
    }

    /**
     * Writes a key file with one fresh random key (replacing the file), readable by its owner only.
     * @param file the key file
     * @param random the source of the key
     * @throws IOException when the file cannot be written
     */
    public static void writeNewKeyFile(Path file, SecureRandom random) throws IOException {
        writeKeyFile(file, List.of(keyLine(random)));
    }

    /**
     * Rotates a key file: a fresh key becomes the first (sealing) line and the old first key
     * stays as the second (opening only); older keys are dropped. Creates the file if missing.
     * @param file the key file
     * @param random the source of the new key
     * @throws IOException when the file cannot be read or written
     */
    public static void rotateKeyFile(Path file, SecureRandom random) throws IOException {
        List<String> lines = new ArrayList<>();
        lines.add(keyLine(random));
        if (Files.exists(file)) {
            List<Key> old = parse(file, Files.readAllBytes(file));
            Key previous = old.get(0);
            lines.add(HexFormat.of().formatHex(previous.name()) + " " + HexFormat.of().formatHex(previous.key().getEncoded()));
        }
        writeKeyFile(file, lines);
    }

    private static String keyLine(SecureRandom random) {
        Key k = newKey(random, Instant.EPOCH);
        return HexFormat.of().formatHex(k.name()) + " " + HexFormat.of().formatHex(k.key().getEncoded());
    }

    private static void writeKeyFile(Path file, List<String> keyLines) throws IOException {
        List<String> lines = new ArrayList<>();
        lines.add("# Tollgate session ticket keys: key name and AES-256-GCM key, in hex. SECRET.");
        lines.add("# The first key seals new tickets; the others only open old ones.");
        lines.addAll(keyLines);
        Path dir = file.toAbsolutePath().getParent();
        Path tmp = Files.createTempFile(dir, ".ticket-keys", ".tmp");
        try {
            try {
                Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
            } catch (UnsupportedOperationException ignored) {
                // not a POSIX file system
            }
            Files.write(tmp, lines, StandardCharsets.US_ASCII);
            // Readers never see a half-written file.
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    @Override
    public String toString() {
        return "TicketKeys[" + (file != null ? "file " + file.getFileName() : "in memory, rotating every " + interval) + "]";
    }
}
