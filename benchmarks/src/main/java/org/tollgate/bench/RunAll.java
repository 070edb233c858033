package org.tollgate.bench;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;
import org.openjdk.jmh.profile.GCProfiler;
import org.openjdk.jmh.results.BenchmarkResult;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/**
 * Runs every benchmark of this package with the short settings their annotations give (one
 * fork; a few seconds of warm-up and measurement each, about four minutes in all), with
 * JMH's allocation profiler, and prints Tollgate against SunJSSE as a table of ratios.
 * Every figure in the table is the median over the measurement iterations, since on a
 * shared machine a single iteration can stall.
 * Arguments are JMH's own ({@code -f}, {@code -wi}, {@code -i}, {@code -r}, {@code -p},
 * a benchmark regex, ...) and override those defaults.
 */
public final class RunAll {

    private RunAll() {
    }

    public static void main(String[] args) throws Exception {
        CommandLineOptions cmd = new CommandLineOptions(args);
        // The builder's settings win over its parent's, so set a default only where the command line has none.
        OptionsBuilder b = new OptionsBuilder();
        b.parent(cmd);
        if (cmd.getProfilers().isEmpty()) {
            b.addProfiler(GCProfiler.class);
        }
        if (!cmd.shouldFailOnError().hasValue()) {
            b.shouldFailOnError(true);
        }
        if (cmd.getIncludes().isEmpty()) {
            b.include(RunAll.class.getPackageName() + ".*Benchmark.*");
        }
        Options options = b.build();
        Collection<RunResult> results = new Runner(options).run();
        System.out.println();
        System.out.println(report(results));
    }

    /** One row per benchmark and parameter set other than impl; columns for each impl and the ratio. */
    static String report(Collection<RunResult> results) {
        List<RunResult> resumption = new ArrayList<>();
        List<RunResult> others = new ArrayList<>();
        for (RunResult r : results) {
            (r.getParams().getBenchmark().contains("ResumptionBenchmark") ? resumption : others).add(r);
        }
        return reportTollgateAgainstJsse(others) + (resumption.isEmpty() ? "" : "\n" + reportResumption(resumption));
    }

    private static final List<String> IMPLS = List.of("tollgate", "jsse", "bcjsse");

    /**
     * ResumptionBenchmark: for each key exchange, full and resumed handshakes of the three
     * stacks side by side, then each stack's resumed rate as a multiple of its full rate,
     * both per CPU second (client + server CPU of the benchmark thread) so that other
     * processes on the machine count as little as possible.
     */
    static String reportResumption(Collection<RunResult> results) {
        Map<String, Map<String, Map<String, RunResult>>> byKx = new LinkedHashMap<>(); // kx -> method -> impl
        for (RunResult r : results) {
            String bench = r.getParams().getBenchmark();
            String method = bench.substring(bench.lastIndexOf('.') + 1).replace("Handshake", "");
            byKx.computeIfAbsent(r.getParams().getParam("kx"), k -> new LinkedHashMap<>())
                    .computeIfAbsent(method, k -> new LinkedHashMap<>()).put(r.getParams().getParam("impl"), r);
        }
        StringBuilder out = new StringBuilder();
        out.append("| key exchange | handshake | metric | Tollgate | SunJSSE | BCJSSE | Tollgate / SunJSSE | Tollgate / BCJSSE |\n");
        out.append("|---|---|---|---|---|---|---|---|\n");
        for (Map.Entry<String, Map<String, Map<String, RunResult>>> kx : byKx.entrySet()) {
            for (String method : List.of("full", "resumed")) {
                Map<String, RunResult> m = kx.getValue().getOrDefault(method, Map.of());
                resumptionLine(out, kx.getKey(), method, "handshakes/s, wall clock", m, RunAll::score);
                resumptionLine(out, kx.getKey(), method, "handshakes per CPU second (client + server)", m,
                        r -> 1e6 / (perHandshake(r, "serverCpuNanos") + perHandshake(r, "clientCpuNanos")));
                resumptionLine(out, kx.getKey(), method, "server CPU µs per handshake", m,
                        r -> perHandshake(r, "serverCpuNanos"));
                resumptionLine(out, kx.getKey(), method, "client CPU µs per handshake", m,
                        r -> perHandshake(r, "clientCpuNanos"));
                resumptionLine(out, kx.getKey(), method, "share really resumed", m,
                        r -> median(r, it -> value(it, "resumed") / value(it, "handshakes")));
                resumptionLine(out, kx.getKey(), method, "bytes allocated per handshake", m,
                        r -> secondary(r, "gc.alloc.rate.norm"));
            }
        }
        out.append("\nResumed as a multiple of full, same stack and run (CPU-normalised rates; server CPU alone in brackets):\n\n");
        out.append("| key exchange | Tollgate | SunJSSE | BCJSSE |\n|---|---|---|---|\n");
        for (Map.Entry<String, Map<String, Map<String, RunResult>>> kx : byKx.entrySet()) {
            out.append("| ").append(kx.getKey());
            for (String impl : IMPLS) {
                RunResult full = kx.getValue().getOrDefault("full", Map.of()).get(impl);
                RunResult resumed = kx.getValue().getOrDefault("resumed", Map.of()).get(impl);
                if (full == null || resumed == null) {
                    out.append(" | —");
                    continue;
                }
                double both = (perHandshake(full, "serverCpuNanos") + perHandshake(full, "clientCpuNanos"))
                        / (perHandshake(resumed, "serverCpuNanos") + perHandshake(resumed, "clientCpuNanos"));
                double server = perHandshake(full, "serverCpuNanos") / perHandshake(resumed, "serverCpuNanos");
                out.append(String.format(Locale.ROOT, " | %.1f× (%.1f×)", both, server));
            }
            out.append(" |\n");
        }
        return out.toString();
    }

    private static void resumptionLine(StringBuilder out, String kx, String method, String metric,
            Map<String, RunResult> byImpl, ToDoubleFunction<RunResult> f) {
        double[] v = new double[IMPLS.size()];
        for (int i = 0; i < v.length; i++) {
            RunResult r = byImpl.get(IMPLS.get(i));
            v[i] = r == null ? Double.NaN : f.applyAsDouble(r);
        }
        out.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s | %s | %s | %s |%n", kx, method, metric,
                fmt(v[0]), fmt(v[1]), fmt(v[2]), ratio(v[0], v[1]), ratio(v[0], v[2])));
    }

    private static String ratio(double a, double b) {
        return Double.isNaN(a) || Double.isNaN(b) || b == 0 ? "—" : String.format(Locale.ROOT, "%.2f", a / b);
    }

    private static String reportTollgateAgainstJsse(Collection<RunResult> results) {
        Map<String, Map<String, RunResult>> rows = new LinkedHashMap<>();
        for (RunResult r : results) {
            String bench = r.getParams().getBenchmark();
            bench = bench.substring(bench.lastIndexOf('.', bench.lastIndexOf('.') - 1) + 1);
            String key = r.getParams().getParam("key");
            String row = bench + (key == null ? "" : " " + key);
            rows.computeIfAbsent(row, k -> new LinkedHashMap<>()).put(r.getParams().getParam("impl"), r);
        }
        StringBuilder out = new StringBuilder();
        out.append(String.format(Locale.ROOT, "Java %s (%s), %d CPUs%n", System.getProperty("java.version"),
                System.getProperty("java.vm.name"), Runtime.getRuntime().availableProcessors()));
        out.append("| benchmark | metric | Tollgate | SunJSSE | Tollgate / JSSE |\n|---|---|---|---|---|\n");
        for (Map.Entry<String, Map<String, RunResult>> row : rows.entrySet()) {
            RunResult t = row.getValue().get("tollgate");
            RunResult j = row.getValue().get("jsse");
            if (t == null || j == null) {
                continue;
            }
            boolean bulk = row.getKey().startsWith("BulkBenchmark");
            if (bulk) {
                line(out, row.getKey(), "MB/s, wall clock", mbPerSecond(t), mbPerSecond(j));
                line(out, row.getKey(), "MB per CPU second", mbPerCpuSecond(t), mbPerCpuSecond(j));
            } else {
                line(out, row.getKey(), "handshakes/s, wall clock", score(t), score(j));
                line(out, row.getKey(), "server CPU µs per handshake", perHandshake(t, "serverCpuNanos"),
                        perHandshake(j, "serverCpuNanos"));
                line(out, row.getKey(), "client CPU µs per handshake", perHandshake(t, "clientCpuNanos"),
                        perHandshake(j, "clientCpuNanos"));
            }
            line(out, row.getKey(), "bytes allocated per op", secondary(t, "gc.alloc.rate.norm"),
                    secondary(j, "gc.alloc.rate.norm"));
        }
        return out.toString();
    }

    private static void line(StringBuilder out, String bench, String metric, double t, double j) {
        out.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s |%n", bench, metric, fmt(t), fmt(j),
                Double.isNaN(t) || Double.isNaN(j) || j == 0 ? "—" : String.format(Locale.ROOT, "%.2f", t / j)));
    }

    private static String fmt(double v) {
        if (Double.isNaN(v)) {
            return "—";
        }
        return v >= 100 ? String.format(Locale.ROOT, "%,.0f", v) : String.format(Locale.ROOT, "%.1f", v);
    }

    /** Median over measurement iterations of the primary score (other processes make single iterations stall). */
    private static double score(RunResult r) {
        return median(r, it -> it.getPrimaryResult().getScore());
    }

    private static double mbPerSecond(RunResult r) {
        return score(r) * BulkBenchmark.WRITE_SIZE / 1e6;
    }

    private static double secondary(RunResult r, String name) {
        return median(r, it -> value(it, name));
    }

    /** A side's CPU microseconds per handshake: per iteration, CPU nanoseconds / handshakes; the median of those. */
    private static double perHandshake(RunResult r, String counter) {
        return median(r, it -> value(it, counter) / value(it, "handshakes") / 1000);
    }

    /** Megabytes of application data per second of the benchmark thread's CPU, median over iterations. */
    private static double mbPerCpuSecond(RunResult r) {
        // An iteration without a single CPU sample counts as infinite, which median() leaves out.
        return median(r, it -> value(it, "cpuOps") > 0
                ? BulkBenchmark.WRITE_SIZE / (value(it, "cpuNanos") / value(it, "cpuOps")) * 1e9 / 1e6
                : Double.POSITIVE_INFINITY);
    }

    private static double value(IterationResult it, String name) {
        Result<?> s = it.getSecondaryResults().get(name);
        return s == null ? Double.NaN : s.getScore();
    }

    private static double median(RunResult r, ToDoubleFunction<IterationResult> f) {
        List<Double> values = new ArrayList<>();
        for (BenchmarkResult b : r.getBenchmarkResults()) {
            for (IterationResult it : b.getIterationResults()) {
                values.add(f.applyAsDouble(it));
            }
        }
        if (values.isEmpty() || values.stream().anyMatch(v -> Double.isNaN(v))) {
            return Double.NaN;
        }
        // An iteration starved of CPU may finish fewer operations than one CPU-clock sample
        // (64) and yield an infinite rate: leave it out, as one would a stalled iteration.
        values.removeIf(v -> Double.isInfinite(v));
        if (values.isEmpty()) {
            return Double.NaN;
        }
        Collections.sort(values);
        int n = values.size();
        return n % 2 == 1 ? values.get(n / 2) : (values.get(n / 2 - 1) + values.get(n / 2)) / 2;
    }
}
