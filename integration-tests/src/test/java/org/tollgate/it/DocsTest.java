package org.tollgate.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The documentation cannot rot silently: every relative link in the READMEs and in
 * docs/walkthrough.md points to a file that exists, every {@code Class#member} a module
 * README's concept map names still exists (checked by reflection), and each module README
 * has what a reuser needs (entry point, Maven coordinates, a Java example, the map).
 */
class DocsTest {
    /** The package a module README's class names are relative to. */
    private static final Map<String, String> BASE_PACKAGES = Map.of(
            "tls-core", "org.tollgate.tls",
            "tls-server", "org.tollgate.tls.server",
            "tls-client", "org.tollgate.tls.client",
            "lb-l4", "org.tollgate.lb",
            "lb-l7", "org.tollgate.lb.l7");

    /** `pkg.Class`, `Class.Nested`, `Class#member`, `org.tollgate...Class#member`. */
    private static final Pattern REFERENCE = Pattern.compile(
            "`((?:[a-z][a-z0-9]*\\.)*[A-Z][A-Za-z0-9]*(?:\\.[A-Z][A-Za-z0-9]*)*(?:#[A-Za-z][A-Za-z0-9]*)?)`");
    private static final Pattern LINK = Pattern.compile("\\[([^\\]]*)\\]\\(([^)\\s]+)\\)");

    private static final Path ROOT = findRoot();

    private static Path findRoot() {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !Files.exists(dir.resolve("docs/walkthrough.md"))) {
            dir = dir.getParent();
        }
        if (dir == null) {
            throw new AssertionError("no docs/walkthrough.md above " + Path.of("").toAbsolutePath());
        }
        return dir;
    }

    @ParameterizedTest
    @ValueSource(strings = {"tls-core", "tls-server", "tls-client", "lb-l4", "lb-l7"})
    void moduleReadmeHasWhatAReuserNeedsAndItsConceptMapResolves(String module) throws IOException {
        String readme = Files.readString(ROOT.resolve(module).resolve("README.md"));
        assertTrue(readme.contains("<groupId>org.tollgate</groupId>") && readme.contains("<artifactId>" + module
                + "</artifactId>"), module + "/README.md: Maven coordinates");
        assertTrue(readme.contains("```java"), module + "/README.md: a Java example of reusing it");
        assertTrue(readme.contains("Entry point"), module + "/README.md: names its entry point");
        List<String> references = conceptMapReferences(readme);
        assertTrue(references.size() >= 10, module + "/README.md: a concept map (| concept | class |) naming"
                + " classes and methods, found " + references);
        List<String> missing = new ArrayList<>();
        for (String reference : references) {
            resolve(BASE_PACKAGES.get(module), reference).ifPresent(missing::add);
        }
        assertEquals(List.of(), missing, module + "/README.md names what no longer exists");
    }

    /** Every module the root pom builds has a row in the root README's module map. */
    @Test
    void rootReadmeModuleMapNamesEveryModule() throws IOException {
        String readme = Files.readString(ROOT.resolve("README.md"));
        Matcher m = Pattern.compile("<module>([^<]+)</module>").matcher(Files.readString(ROOT.resolve("pom.xml")));
        List<String> modules = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        while (m.find()) {
            String module = Pattern.quote(m.group(1));
            modules.add(m.group(1));
            if (!Pattern.compile("(?m)^\\| (\\[" + module + "\\]\\(|" + module + " \\|)").matcher(readme).find()) {
                missing.add(m.group(1));
            }
        }
        assertTrue(modules.containsAll(List.of("test-support", "tls-core", "integration-tests")), modules.toString());
        assertEquals(List.of(), missing, "modules without a row in README.md's module map");
    }

    @Test
    void everyRelativeLinkInTheDocsExists() throws IOException {
        List<Path> docs = new ArrayList<>(List.of(ROOT.resolve("README.md"), ROOT.resolve("docs/walkthrough.md")));
        try (Stream<Path> modules = Files.list(ROOT)) {
            modules.map(m -> m.resolve("README.md")).filter(Files::exists).forEach(docs::add);
        }
        List<String> broken = new ArrayList<>();
        int links = 0;
        for (Path doc : docs) {
            Matcher m = LINK.matcher(Files.readString(doc));
            while (m.find()) {
                String target = m.group(2);
                if (target.matches("^[a-z]+:.*") || target.startsWith("#")) {
                    continue; // web links and anchors in the same page
                }
                links++;
                Path file = doc.getParent().resolve(target.replaceAll("#.*$", "")).normalize();
                if (!Files.exists(file)) {
                    broken.add(ROOT.relativize(doc) + ": [" + m.group(1) + "](" + target + ")");
                }
            }
        }
        assertTrue(links > 40, "expected the walkthrough and READMEs to link into the code, found " + links);
        assertEquals(List.of(), broken, "links to files that do not exist");
    }

    /**
     * A walkthrough link whose text names a member ({@code [ClientHandshake.start](...ClientHandshake.java)})
     * must name one that the linked class has.
     */
    @Test
    void walkthroughLinksIntoTheCodeNameRealMembers() throws IOException {
        String walkthrough = Files.readString(ROOT.resolve("docs/walkthrough.md"));
        Matcher m = LINK.matcher(walkthrough);
        List<String> missing = new ArrayList<>();
        int checked = 0;
        while (m.find()) {
            String text = m.group(1).replace("`", "");
            String target = m.group(2);
            int src = target.indexOf("src/main/java/");
            if (src < 0 || !target.endsWith(".java")) {
                continue;
            }
            String className = target.substring(src + "src/main/java/".length(), target.length() - ".java".length())
                    .replace('/', '.');
            String simple = className.substring(className.lastIndexOf('.') + 1);
            if (text.startsWith(simple + ".") || text.startsWith(simple + "#")) {
                checked++;
                String member = text.substring(simple.length() + 1);
                resolve("", className + "#" + member).ifPresent(missing::add);
            } else if (!text.equals(simple)) {
                missing.add("[" + text + "](" + target + "): the text should name the class " + simple);
            }
        }
        assertTrue(checked >= 5, "walkthrough links naming members: " + checked);
        assertEquals(List.of(), missing, "docs/walkthrough.md");
    }

    /** The checker itself can fail: made-up names are reported. */
    @Test
    void unknownClassesAndMembersAreReported() {
        assertEquals(Optional.empty(), resolve("org.tollgate.tls", "TlsEngine#receive"));
        assertEquals(Optional.empty(), resolve("org.tollgate.tls", "handshake.ClientHandshake#ExpectServerHello"));
        assertEquals(Optional.empty(), resolve("org.tollgate.tls", "TlsConfig.Builder#build"));
        assertTrue(resolve("org.tollgate.tls", "TlsEngine#noSuchMethod").isPresent());
        assertTrue(resolve("org.tollgate.tls", "handshake.NoSuchClass").isPresent());
        assertTrue(resolve("org.tollgate.tls", "TlsConfig.NoSuchNested#build").isPresent());
        assertEquals(List.of("TlsEngine#receive", "handshake.KeySchedule"),
                conceptMapReferences("| concept | class |\n|---|---|\n| x | `TlsEngine#receive`, `handshake.KeySchedule` |\n"
                        + "\n| input | status |\n| `Content_Length` | 400 |\n"));
        assertFalse(conceptMapReferences("| a | b |\n| `X` | y |\n").contains("X"));
    }

    /** Backticked class references in the rows of tables whose header has a "class" column. */
    static List<String> conceptMapReferences(String markdown) {
        List<String> references = new ArrayList<>();
        boolean inClassTable = false;
        for (String line : markdown.split("\n")) {
            if (!line.startsWith("|")) {
                inClassTable = false;
                continue;
            }
            if (!inClassTable && line.toLowerCase(java.util.Locale.ROOT).matches("^\\|.*\\bclass\\b.*\\|\\s*$")
                    && !line.contains("`")) {
                inClassTable = true;
                continue;
            }
            if (inClassTable) {
                Matcher m = REFERENCE.matcher(line);
                while (m.find()) {
                    references.add(m.group(1));
                }
            }
        }
        return references;
    }

    /**
     * Resolves {@code reference} ({@code pkg.Class.Nested#member}, packages relative to
     * {@code basePackage} unless it starts with {@code org.}); empty when it exists, else why not.
     */
    static Optional<String> resolve(String basePackage, String reference) {
        String[] parts = reference.split("#", 2);
        List<String> segments = Arrays.asList(parts[0].split("\\."));
        StringBuilder name = new StringBuilder(parts[0].startsWith("org.") || basePackage.isEmpty() ? "" : basePackage + ".");
        boolean inClass = false;
        for (int i = 0; i < segments.size(); i++) {
            String s = segments.get(i);
            if (i > 0) {
                name.append(inClass ? "$" : ".");
            }
            name.append(s);
            inClass |= Character.isUpperCase(s.charAt(0));
        }
        Class<?> type = load(name.toString());
        if (type == null && Character.isUpperCase(parts[0].charAt(0))) {
            // An unqualified name in a table of classes: the one class of that name in any module.
            String simple = segments.get(0);
            List<String> found = sourceClassNames(simple);
            if (found.size() == 1) {
                type = load(found.get(0) + parts[0].substring(simple.length()).replace('.', '$'));
            }
        }
        if (type == null) {
            return Optional.of(reference + ": no class " + name);
        }
        if (parts.length == 1 || hasMember(type, parts[1])) {
            return Optional.empty();
        }
        return Optional.of(reference + ": " + type.getName() + " has no method, field or nested class " + parts[1]);
    }

    private static Class<?> load(String name) {
        try {
            return Class.forName(name, false, DocsTest.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            return null;
        }
    }

    /** The fully qualified names of the main classes called {@code simple}, in every module. */
    private static List<String> sourceClassNames(String simple) {
        List<String> names = new ArrayList<>();
        try (Stream<Path> modules = Files.list(ROOT)) {
            for (Path sources : modules.map(m -> m.resolve("src/main/java")).filter(Files::isDirectory).toList()) {
                try (Stream<Path> files = Files.walk(sources)) {
                    files.filter(f -> f.getFileName().toString().equals(simple + ".java"))
                            .map(f -> sources.relativize(f).toString().replace(java.io.File.separatorChar, '.'))
                            .map(f -> f.substring(0, f.length() - ".java".length()))
                            .forEach(names::add);
                }
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return names;
    }

    private static boolean hasMember(Class<?> type, String member) {
        for (Class<?> c = type; c != null; c = c.getSuperclass()) {
            if (Arrays.stream(c.getDeclaredMethods()).map(Method::getName).anyMatch(member::equals)
                    || Arrays.stream(c.getDeclaredFields()).map(Field::getName).anyMatch(member::equals)
                    || Arrays.stream(c.getDeclaredClasses()).map(Class::getSimpleName).anyMatch(member::equals)) {
                return true;
            }
            for (Class<?> i : c.getInterfaces()) {
                if (hasMember(i, member)) {
                    return true;
                }
            }
        }
        return false;
    }
}
