package org.tollgate.lb.l7;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Where the access log goes: one line per request, in the combined log format followed by
 * what a load balancer knows (the format is {@code AccessLogLine}'s, shown in the lb-l7
 * README):
 *
 * <pre>
 * 127.0.0.1 - - [27/Nov/2026:08:01:02 +0000] "GET /a HTTP/1.1" 200 42 "-" "curl/7.88.1" web/a 127.0.0.1:9001 1/0/3/5 --
 * </pre>
 *
 * Implementations are called from the event loop threads, so they must be thread-safe and quick.
 */
@FunctionalInterface
public interface AccessLog {

    /** Writes one line (without its line end). */
    void write(String line);

    /**
     * Appends to {@code file} (created if missing), one {@code write} system call per line
     * with {@code O_APPEND}, so lines from several threads or processes never interleave
     * and {@code tail -f} sees each line at once.
     */
    static AccessLog file(Path file) throws IOException {
        FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
        return line -> {
            ByteBuffer b = ByteBuffer.wrap((line + "\n").getBytes(StandardCharsets.UTF_8));
            try {
                while (b.hasRemaining()) {
                    ch.write(b);
                }
            } catch (IOException e) {
                throw new UncheckedIOException("access log " + file + ": " + e.getMessage(), e);
            }
        };
    }

    /** Logs each line at INFO to the {@link System.Logger} named {@code org.tollgate.lb.l7.access}. */
    static AccessLog logger() {
        System.Logger log = System.getLogger("org.tollgate.lb.l7.access");
        return line -> log.log(Level.INFO, line);
    }
}
