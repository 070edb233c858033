package org.tollgate.tls;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tollgate.tls.Tls12ResumptionTest.MovableClock;

/** Sealing and opening tickets, rotation, and the key file. */
class TicketKeysTest {
    private static final byte[] STATE = "session state".getBytes(StandardCharsets.US_ASCII);

    @Test
    void aSealedTicketOpensAndAnyChangedByteMakesItUnopenable() {
        TicketKeys keys = TicketKeys.generate();
        byte[] ticket = keys.seal(STATE);
        assertEquals(STATE.length + TicketKeys.OVERHEAD, ticket.length);
        assertArrayEquals(STATE, keys.open(ticket));
        assertFalse(new String(ticket, StandardCharsets.ISO_8859_1).contains("session state"), "the state is encrypted");
        for (int i = 0; i < ticket.length; i++) {
            byte[] bad = ticket.clone();
            bad[i] ^= 0x40;
            assertNull(keys.open(bad), "byte " + i);
        }
        assertNull(keys.open(new byte[3]));
        assertNull(TicketKeys.generate().open(ticket), "another server's key");
        assertNotEquals(java.util.HexFormat.of().formatHex(keys.seal(STATE)), java.util.HexFormat.of().formatHex(ticket),
                "a fresh nonce every time");
    }

    @Test
    void generatedKeysRotateAndThePreviousKeyOpensForOneMoreInterval() {
        MovableClock clock = new MovableClock();
        TicketKeys keys = TicketKeys.generate(Duration.ofHours(1), clock, new SecureRandom());
        byte[] old = keys.seal(STATE);
        String first = keys.currentKeyName();
        clock.now = clock.now.plus(Duration.ofMinutes(61));
        byte[] newer = keys.seal(STATE);
        assertNotEquals(first, keys.currentKeyName());
        assertEquals(2, keys.size());
        assertArrayEquals(STATE, keys.open(old), "the previous key still opens");
        clock.now = clock.now.plus(Duration.ofMinutes(61));
        assertNull(keys.open(old), "two rotations later it is gone");
        assertArrayEquals(STATE, keys.open(newer));
        clock.now = clock.now.plus(Duration.ofHours(5)); // idle for long: no stale previous key survives
        assertEquals(1, keys.size());
        assertNull(keys.open(newer));
    }

    @Test
    void aKeyFileIsSharedRotatedAndReloaded(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("ticket.keys");
        TicketKeys.writeNewKeyFile(file, new SecureRandom());
        TicketKeys a = TicketKeys.load(file);
        TicketKeys b = TicketKeys.load(file);
        byte[] ticket = a.seal(STATE);
        assertArrayEquals(STATE, b.open(ticket), "a second server with the same file opens it");
        assertFalse(a.toString().contains(Files.readAllLines(file).get(2).substring(33)), "the key is never printed");

        TicketKeys.rotateKeyFile(file, new SecureRandom());
        b.reload();
        byte[] rotated = b.seal(STATE);
        assertArrayEquals(STATE, b.open(ticket), "the old key opens after rotation");
        a.reload();
        assertArrayEquals(STATE, a.open(rotated), "after reloading, the other server opens the new key's tickets");
        TicketKeys.rotateKeyFile(file, new SecureRandom());
        a.reload();
        assertNull(a.open(ticket), "two rotations later the first key is gone");
        if (!System.getProperty("os.name").startsWith("Windows")) {
            assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        }
    }

    @Test
    void aBadKeyFileIsRefusedWithTheLineAndAReloadKeepsTheOldKeys(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("bad.keys");
        Files.writeString(file, "# comment\n0011 2233\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TicketKeys.load(file));
        assertTrue(e.getMessage().contains("line 2"), e.getMessage());
        Files.writeString(file, "# nothing\n");
        assertThrows(IllegalArgumentException.class, () -> TicketKeys.load(file));
        Files.writeString(file, "zz".repeat(16) + " " + "00".repeat(32) + "\n");
        assertTrue(assertThrows(IllegalArgumentException.class, () -> TicketKeys.load(file)).getMessage().contains("not hex"));

        TicketKeys.writeNewKeyFile(file, new SecureRandom());
        TicketKeys keys = TicketKeys.load(file);
        byte[] ticket = keys.seal(STATE);
        Files.writeString(file, "garbage\n");
        assertThrows(IllegalArgumentException.class, keys::reload);
        assertArrayEquals(STATE, keys.open(ticket), "a broken file keeps the keys that were loaded");
    }
}
