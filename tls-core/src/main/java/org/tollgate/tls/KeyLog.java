package org.tollgate.tls;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HexFormat;

/**
 * Writes secrets in the NSS key log format that Wireshark, tshark and curl understand:
 * {@code LABEL <client_random hex> <secret hex>}, one line each. With it a capture of the
 * connection can be decrypted. Never enable it in production.
 */
public interface KeyLog {

    /** Logs nothing. */
    KeyLog NONE = (label, clientRandom, secret) -> { };

    /**
     * Records one secret, e.g. {@code CLIENT_HANDSHAKE_TRAFFIC_SECRET}.
     * @param label the NSS key log label
     * @param clientRandom the 32-byte ClientHello.random identifying the connection
     * @param secret the secret itself
     */
    void log(String label, byte[] clientRandom, byte[] secret);

    /**
     * Appends to {@code file}, creating it; lines from concurrent connections never interleave.
     * @param file the key log file
     * @return a key log appending to it
     */
    static KeyLog toFile(Path file) {
        return new KeyLog() {
            @Override
            public synchronized void log(String label, byte[] clientRandom, byte[] secret) {
                String line = label + " " + HexFormat.of().formatHex(clientRandom) + " "
                        + HexFormat.of().formatHex(secret) + "\n";
                try (Writer w = Files.newBufferedWriter(file, StandardCharsets.US_ASCII,
                        StandardOpenOption.CREATE, StandardOpenOption.APPEND, StandardOpenOption.WRITE)) {
                    w.write(line);
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot write key log " + file, e);
                }
            }

            @Override
            public String toString() {
                return "KeyLog(" + file + ")";
            }
        };
    }

    /**
     * The file named by the {@code SSLKEYLOGFILE} environment variable, as curl and browsers do; else {@link #NONE}.
     * @return the key log named by the environment, or {@link #NONE}
     */
    static KeyLog fromEnvironment() {
        String path = System.getenv("SSLKEYLOGFILE");
        return path == null || path.isBlank() ? NONE : toFile(Path.of(path));
    }
}
