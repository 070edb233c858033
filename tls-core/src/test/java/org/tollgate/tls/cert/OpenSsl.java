package org.tollgate.tls.cert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs the real {@code openssl} command line in a directory, so test files come from (and
 * are checked by) a program nobody here wrote. A missing openssl fails the test: a test
 * never passes because a program was missing.
 */
final class OpenSsl {

    private OpenSsl() {
    }

    /** Runs {@code openssl args...} in {@code dir}; fails the test unless it exits 0. Returns stdout and stderr. */
    static String run(Path dir, String... args) {
        Result result = tryRun(dir, args);
        assertEquals(0, result.exitCode(), () -> "openssl " + String.join(" ", args) + " failed:\n" + result.output());
        return result.output();
    }

    /** Runs {@code openssl args...} in {@code dir} and returns its exit code and output. */
    static Result tryRun(Path dir, String... args) {
        List<String> command = new ArrayList<>();
        command.add("openssl");
        command.addAll(List.of(args));
        try {
            Process process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
            process.getOutputStream().close();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                fail("openssl " + String.join(" ", args) + " did not finish within 60 s");
            }
            return new Result(process.exitValue(), output);
        } catch (IOException e) {
            return fail("cannot run openssl (is it installed and on the PATH?): " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return fail("interrupted while running openssl", e);
        }
    }

    record Result(int exitCode, String output) {
    }
}
