package org.tollgate.lb.l7;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs the real curl program (HTTP/1.1, verbose to stderr); a missing curl fails the test. */
final class Curl {
    private Curl() {
    }

    record Result(int exit, String out, String err) {
    }

    static Result run(Path dir, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("curl", "-sS", "-v", "--http1.1", "--max-time", "10"));
        cmd.addAll(List.of(args));
        Path out = dir.resolve("out-" + System.nanoTime());
        Path err = dir.resolve("err-" + System.nanoTime());
        Process proc = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        try {
            assertTrue(proc.waitFor(20, TimeUnit.SECONDS), "curl did not finish");
        } finally {
            proc.destroyForcibly();
        }
        return new Result(proc.exitValue(), Files.readString(out, StandardCharsets.ISO_8859_1), Files.readString(err, StandardCharsets.ISO_8859_1));
    }
}
