package org.tollgate.testsupport;

import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.Charset;
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
 *
 * <pre>{@code
 * try (Processes.Running p = Processes.start(dir, "s_client", List.of("openssl", "s_client", ...))) {
 *     p.awaitLine(Pattern.compile("^CONNECTED"), Duration.ofSeconds(20));
 * }
 * }</pre>
 */
public final class Processes {
    private Processes() {
    }

    /**
     * Fails with a message that says what to install when {@code program} is not on the
     * PATH (or, given as a path, not executable). Tests never skip: a missing peer is a
     * failure (CI installs them).
     *
     * @param program a program name such as {@code openssl}, or a path to one
     * @return {@code program}
     * @throws AssertionError if the program cannot be run
     */
    public static String require(String program) {
        if (program.contains(File.separator)) {
            if (Files.isExecutable(Path.of(program))) {
                return program;
            }
        } else {
            String path = System.getenv().getOrDefault("PATH", "");
            for (String dir : path.split(File.pathSeparator)) {
                if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, program))) {
                    return program;
                }
            }
        }
        throw new AssertionError("this test needs '" + program + "' on the PATH, but it is not installed"
                + " (the Debian packages openssl, gnutls-bin, curl, tshark and chromium; .ci/run installs them)");
    }

    /**
     * Starts {@code command}, writing its stdout and stderr to files in {@code dir}.
     *
     * @param dir     where the output files go (created if missing); a test's {@code @TempDir}
     * @param name    a short name for file names and messages
     * @param command the program and its arguments
     * @return the running program; close it (try-with-resources or {@code @AfterEach})
     * @throws AssertionError if the program is not installed
     */
    public static Running start(Path dir, String name, List<String> command) {
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

    /**
     * Runs {@code command} to the end: writes {@code stdin} (if any) to it, closes its stdin, and
     * waits for it to exit.
     *
     * @param dir     where its output files go
     * @param timeout how long it may run (it is killed after that and the test fails)
     * @param stdin   what to type, or null for nothing
     * @param command the program and its arguments
     * @return its exit status and output
     */
    public static Result run(Path dir, Duration timeout, String stdin, List<String> command) {
        try (Running running = start(dir, Path.of(command.get(0)).getFileName().toString(), command)) {
            if (stdin != null) {
                running.send(stdin);
            }
            running.closeStdin();
            int exit = running.awaitExit(timeout);
            return new Result(exit, running.stdout(), running.stderr());
        }
    }

    /**
     * What a program that ran to the end did ({@link #run}).
     *
     * @param exit its exit status
     * @param out  its stdout, as Latin-1
     * @param err  its stderr, as Latin-1
     */
    public record Result(int exit, String out, String err) {
        /**
         * stdout and stderr together, for assertions that do not care which stream a line went to.
         *
         * @return stdout followed by stderr
         */
        public String output() {
            return out + err;
        }
    }

    /** A started program. Closing it kills it (and its children) if it is still running. */
    public static final class Running implements AutoCloseable {
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

        /**
         * The process itself.
         *
         * @return the JDK process
         */
        public Process process() {
            return process;
        }

        /**
         * Everything the program wrote to stdout so far, as Latin-1 (every byte is one char).
         *
         * @return stdout so far
         */
        public String stdout() {
            return read(stdout, StandardCharsets.ISO_8859_1);
        }

        /**
         * Everything the program wrote to stdout so far, decoded with {@code charset}.
         *
         * @param charset the encoding the program writes
         * @return stdout so far
         */
        public String stdout(Charset charset) {
            return read(stdout, charset);
        }

        /**
         * Everything the program wrote to stderr so far, as Latin-1.
         *
         * @return stderr so far
         */
        public String stderr() {
            return read(stderr, StandardCharsets.ISO_8859_1);
        }

        /**
         * stdout and stderr together, for assertions that do not care which stream a line went to.
         *
         * @return stdout followed by stderr
         */
        public String output() {
            return stdout() + stderr();
        }

        /**
         * Writes {@code text} to the program's stdin and flushes it.
         *
         * @param text what to type, newlines included
         */
        public void send(String text) {
            try {
                OutputStream in = process.getOutputStream();
                in.write(text.getBytes(StandardCharsets.UTF_8));
                in.flush();
            } catch (IOException e) {
                throw new UncheckedIOException(name + ": cannot write to stdin (exited?)\n" + describe(), e);
            }
        }

        /** Closes the program's stdin (end of input). */
        public void closeStdin() {
            try {
                process.getOutputStream().close();
            } catch (IOException e) {
                // Already gone: nothing more to say to it.
            }
        }

        /**
         * Waits until stdout or stderr has a line matching {@code pattern}.
         *
         * @param pattern what to look for (found anywhere in a line)
         * @param timeout how long to wait
         * @return the first matching line
         * @throws AssertionError after {@code timeout}, or when the program exits without such a line
         */
        public String awaitLine(Pattern pattern, Duration timeout) {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (true) {
                String line = findLine(pattern);
                if (line != null) {
                    return line;
                }
                if (System.nanoTime() > deadline) {
                    throw new AssertionError(name + ": no line matching /" + pattern + "/ within " + timeout
                            + "\n" + describe());
                }
                if (!process.isAlive()) {
                    // One last look: the line may have been written just before exit.
                    line = findLine(pattern);
                    if (line != null) {
                        return line;
                    }
                    throw new AssertionError(name + ": exited with " + process.exitValue()
                            + " before printing a line matching /" + pattern + "/\n" + describe());
                }
                pause();
            }
        }

        private String findLine(Pattern pattern) {
            for (String line : output().split("\n")) {
                if (pattern.matcher(line).find()) {
                    return line;
                }
            }
            return null;
        }

        /**
         * Waits until something accepts TCP connections on 127.0.0.1:{@code port}.
         *
         * @param port    the port the program should listen on
         * @param timeout how long to wait
         * @throws AssertionError after {@code timeout}, or when the program exits first
         */
        public void awaitPort(int port, Duration timeout) {
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

        /**
         * Waits for the program to exit.
         *
         * @param timeout how long to wait
         * @return its exit status
         * @throws AssertionError (after killing it) if it is still running after {@code timeout}
         */
        public int awaitExit(Duration timeout) {
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

        /**
         * Asks the program to stop (SIGTERM), so it can finish its files; kills it if it has not.
         *
         * @param timeout how long it may take to stop
         * @return its exit status
         */
        public int stop(Duration timeout) {
            process.destroy();
            return awaitExit(timeout);
        }

        /**
         * The command line and what it printed, for failure messages.
         *
         * @return a few lines ending with the tail of stdout and stderr
         */
        public String describe() {
            return "$ " + String.join(" ", command) + "\n--- stdout ---\n" + tail(stdout())
                    + "\n--- stderr ---\n" + tail(stderr());
        }

        /** Kills the program and its children (if still running) and waits a little for them to go. */
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

        private static String read(Path file, Charset charset) {
            try {
                return Files.readString(file, charset);
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
