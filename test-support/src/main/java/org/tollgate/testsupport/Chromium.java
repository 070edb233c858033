package org.tollgate.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Headless Chromium, run once per call with a fresh profile: {@code --dump-dom URL} gives the
 * DOM after the page's scripts ran, {@code --screenshot=FILE URL} a PNG. The program is
 * {@code chromium} (Debian package {@code chromium}; {@code .ci/run} installs it), or the
 * system property {@code chromium.binary}; a missing browser fails the test.
 */
public final class Chromium {
    private Chromium() {
    }

    /**
     * Runs {@code chromium --headless ... ARGS...} until it exits and returns what it printed on stdout.
     *
     * @param dir     where its profile and output files go (a test's {@code @TempDir})
     * @param timeout how long it may run (it is killed after that)
     * @param args    Chromium's arguments, the URL last (e.g. {@code "--dump-dom", url})
     * @return its stdout, decoded as UTF-8 (the DOM for {@code --dump-dom})
     * @throws AssertionError with its output if it fails, exits non-zero or takes too long
     */
    public static String run(Path dir, Duration timeout, String... args) {
        List<String> command = new ArrayList<>(List.of(System.getProperty("chromium.binary", "chromium"),
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--user-data-dir=" + profile(dir)));
        command.addAll(List.of(args));
        try (Processes.Running chromium = Processes.start(dir, "chromium", command)) {
            int exit = chromium.awaitExit(timeout);
            if (exit != 0) {
                throw new AssertionError("chromium failed with exit status " + exit + "\n" + chromium.describe());
            }
            return chromium.stdout(StandardCharsets.UTF_8);
        }
    }

    private static Path profile(Path dir) {
        try {
            Files.createDirectories(dir);
            return Files.createTempDirectory(dir, "chromium-profile-");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot make a Chromium profile directory in " + dir, e);
        }
    }
}
