package org.tollgate.it;

import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * External programs started by the tests: output captured to files, readiness awaited
 * with a bounded timeout, and the process (with its children) always killed on close.
 */
final class Processes {
    private Processes() {
    }

    /**
     * Fails with a message that says what to install when {@code program} is not on the
     * PATH. Interop tests never skip: a missing peer is a failure (CI installs them).
     */
    static String require(String program) {
        String path = System.getenv().getOrDefault("PATH", "");
        for (String dir : path.split(File.pathSeparator)) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, program))) {
                return program;
            }
        }
        throw new AssertionError("interop test needs '" + program + "' on the PATH, but it is not installed"
                + " (install openssl, gnutls-bin and curl; .ci/run does this)");
    }

    /** Starts {@code command}, writing its stdout and stderr to files in {@code dir}. */
    static Running start(Path dir, String name, List<String> command) {
        require(command.get(0));
        try {
            Files.createDirectories(dir);
            Path out = Files.createTempFile(dir, name + "-", ".out");
            Path err = Files.createTempFile(dir, name + "-", ".err");
            Process process = new ProcessBuilder(command)
                    .redirectOutput(out.toFile())
                    .redirectError(err.toFile())
                    .start();
            return new Running(name, List.copyOf(command), process, out, err);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + command, e);
        }
    }

    /** A started program. Closing it kills it (and its children) if it is still running. */
    static final class Running implements AutoCloseable {
        private final String name;
        private final List<String> command;
        private final Process process;
        private final Path stdout;
        private final Path stderr;

        private Running(String name, List<String> command, Process process, Path stdout, Path stderr) {
            this.name = name;
            this.command = command;
            this.process = process;
            this.stdout = stdout;
            this.stderr = stderr;
        }

        Process process() {
            return process;
        }

        /** Everything the program wrote to stdout so far. */
        String stdout() {
            return read(stdout);
        }

        /** Everything the program wrote to stderr so far. */
        String stderr() {
            return read(stderr);
        }

        /** stdout and stderr together, for assertions that do not care which stream a line went to. */
        String output() {
            return stdout() + stderr();
        }

        /** Writes {@code text} to the program's stdin and flushes it. */
        void send(String text) {
            try {
                OutputStream in = process.getOutputStream();
                in.write(text.getBytes(StandardCharsets.UTF_8));
                in.flush();
            } catch (IOException e) {
                throw new UncheckedIOException(name + ": cannot write to stdin (exited?)\n" + describe(), e);
            }
        }

        /** Closes the program's stdin (end of input). */
        void closeStdin() {
            try {
                process.getOutputStream().close();
            } catch (IOException e) {
                // Already gone: nothing more to say to it.
            }
        }

        /** Waits until stdout or stderr has a line matching {@code pattern}; fails after {@code timeout}. */
        String awaitLine(Pattern pattern, Duration timeout) {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (true) {
                for (String line : output().split("\n")) {
                    if (pattern.matcher(line).find()) {
                        return line;
                    }
                }
                if (System.nanoTime() > deadline) {
                    throw new AssertionError(name + ": no line matching /" + pattern + "/ within " + timeout
                            + "\n" + describe());
                }
                if (!process.isAlive()) {
                    // One last look: the line may have been written just before exit.
                    for (String line : output().split("\n")) {
                        if (pattern.matcher(line).find()) {
                            return line;
                        }
                    }
                    throw new AssertionError(name + ": exited with " + process.exitValue()
                            + " before printing a line matching /" + pattern + "/\n" + describe());
                }
                pause();
            }
        }

        /** Waits until something accepts TCP connections on 127.0.0.1:{@code port}. */
        void awaitPort(int port, Duration timeout) {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (true) {
                try (Socket socket = new Socket()) {
                    socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
                    return;
                } catch (IOException e) {
                    if (!process.isAlive()) {
                        throw new AssertionError(name + ": exited with " + process.exitValue()
                                + " before listening on port " + port + "\n" + describe());
                    }
                    if (System.nanoTime() > deadline) {
                        throw new AssertionError(name + ": not listening on port " + port + " within " + timeout
                                + "\n" + describe());
                    }
                    pause();
                }
            }
        }

        /** Waits for the program to exit; kills it and fails after {@code timeout}. */
        int awaitExit(Duration timeout) {
            try {
                if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                    close();
                    throw new AssertionError(name + ": still running after " + timeout + ", killed\n" + describe());
                }
                return process.exitValue();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                close();
                throw new AssertionError(name + ": interrupted", e);
            }
        }

        /** Asks the program to stop (SIGTERM), so it can finish its files; kills it if it has not within {@code timeout}. */
        int stop(Duration timeout) {
            process.destroy();
            return awaitExit(timeout);
        }

        /** The command line and what it printed, for failure messages. */
        String describe() {
            return "$ " + String.join(" ", command) + "\n--- stdout ---\n" + tail(stdout())
                    + "\n--- stderr ---\n" + tail(stderr());
        }

        @Override
        public void close() {
            List<ProcessHandle> all = new ArrayList<>();
            process.descendants().forEach(all::add);
            all.add(process.toHandle());
            all.forEach(ProcessHandle::destroyForcibly);
            closeStdin();
            try {
                process.waitFor(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        @Override
        public String toString() {
            return name + " (pid " + process.pid() + ")";
        }

        private static String tail(String text) {
            return text.length() <= 6000 ? text : "...\n" + text.substring(text.length() - 6000);
        }

        private static String read(Path file) {
            try {
                return Files.readString(file, StandardCharsets.ISO_8859_1);
            } catch (IOException e) {
                return "(cannot read " + file + ": " + e + ")";
            }
        }

        private static void pause() {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted", e);
            }
        }
    }
}
