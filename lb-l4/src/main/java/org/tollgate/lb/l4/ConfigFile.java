package org.tollgate.lb.l4;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/**
 * The {@code --config FILE} format: the command line's long options as {@code key = value}
 * lines, one setting a line; repeat a key to repeat the option. A flag takes {@code true}
 * or {@code false}. {@code #} starts a comment (at the start of a line or after a space);
 * blank lines are skipped.
 *
 * <pre>
 * # lb-l4.conf
 * listen          = 127.0.0.1:8443
 * algorithm       = least-connections
 * backend         = 127.0.0.1:9001, weight=3
 * backend         = 127.0.0.1:9002
 * sni-route       = a.example.com = 127.0.0.1:9443
 * health-interval = 2s
 * admin           = 127.0.0.1:9900
 * </pre>
 *
 * The file becomes arguments placed before the real command line's, so an option given
 * on the command line overrides the file's (lists such as {@code backend} add up).
 * Every error names the file and line.
 */
final class ConfigFile {

    /** A problem in the file, with its place. */
    static final class ConfigException extends IllegalArgumentException {
        ConfigException(Path file, int line, String message) {
            super(file + ":" + line + ": " + message);
        }
    }

    private ConfigFile() {
    }

    /** The file's settings as command-line arguments, each line checked against {@code spec}'s options. */
    static List<String> toArguments(Path file, CommandLine.Model.CommandSpec spec) throws IOException {
        List<String> args = new ArrayList<>();
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        for (int n = 1; n <= lines.size(); n++) {
            String line = stripComment(lines.get(n - 1)).trim();
            if (line.isEmpty()) {
                continue;
            }
            int eq = line.indexOf('=');
            String key = (eq < 0 ? line : line.substring(0, eq)).trim();
            String value = eq < 0 ? null : line.substring(eq + 1).trim();
            if (!key.matches("[a-z][a-z0-9-]*") || key.equals("config") || key.equals("help") || key.equals("version")) {
                throw new ConfigException(file, n, "'" + key + "' is not a setting");
            }
            OptionSpec option = spec.findOption("--" + key);
            if (option == null) {
                throw new ConfigException(file, n, "unknown setting '" + key + "' (settings are the long options without '--')");
            }
            if (option.arity().max() == 0) {
                if (value == null || value.equals("true")) {
                    args.add("--" + key);
                } else if (!value.equals("false")) {
                    throw new ConfigException(file, n, key + " takes true or false, not '" + value + "'");
                }
                continue;
            }
            if (value == null || value.isEmpty()) {
                throw new ConfigException(file, n, key + " needs a value: " + key + " = ...");
            }
            try {
                Main.checkSetting(key, value);
            } catch (IllegalArgumentException e) {
                throw new ConfigException(file, n, key + ": " + e.getMessage());
            }
            args.add("--" + key);
            args.add(value);
        }
        return args;
    }

    private static String stripComment(String line) {
        for (int i = 0; i < line.length(); i++) {
            if (line.charAt(i) == '#' && (i == 0 || Character.isWhitespace(line.charAt(i - 1)))) {
                return line.substring(0, i);
            }
        }
        return line;
    }
}
