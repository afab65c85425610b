package io.discagent.benchmarks;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import org.openjdk.jmh.results.BenchmarkResult;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.util.Statistics;

/**
 * Runs every benchmark of the suite in one JMH run, derives each figure from the agent's result and its baseline's
 * (same run), and writes {@code <out>/<name>.json} (the figures, the machine and JMH's own JSON) and
 * {@code <out>/<name>.md} (the table); with {@code --readme FILE}, also replaces the table in that file.
 *
 * <p>{@code --smoke}: one fork, one warm-up and one measured iteration of at most 1 s for every benchmark (the
 * figures are then indicative only); the outputs are named {@code smoke} instead of {@code latest}.
 *
 * <p>Exits non-zero when a benchmark fails; a missed target is reported, not an error.
 */
public final class Suite {

    static final String BEGIN = "<!-- results:begin -->";
    static final String END = "<!-- results:end -->";

    private Suite() {
    }

    public static void main(String[] args) throws IOException, RunnerException {
        boolean smoke = false;
        Path out = Path.of("benchmarks", "results");
        Path readme = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--smoke" -> smoke = true;
                case "--out" -> out = Path.of(args[++i]);
                case "--readme" -> readme = Path.of(args[++i]);
                default -> throw new IllegalArgumentException("unknown argument " + args[i]
                        + " (expected --smoke, --out DIR, --readme FILE)");
            }
        }
        String name = smoke ? "smoke" : "latest";
        Files.createDirectories(out);
        Path jmhJson = out.resolve(name + "-jmh.json");

        ChainedOptionsBuilder options = new OptionsBuilder()
                .include("io\\.discagent\\.benchmarks\\.[A-Za-z]+Benchmark\\.")
                .shouldFailOnError(true)
                .resultFormat(ResultFormatType.JSON)
                .result(jmhJson.toString());
        if (smoke) {
            options.forks(1)
                    .warmupIterations(1).warmupTime(TimeValue.seconds(1))
                    .measurementIterations(1).measurementTime(TimeValue.seconds(1));
        }
        Collection<RunResult> results = new Runner(options.build()).run();

        Machine machine = Machine.current();
        List<Figure> figures = derive(new Results(results));
        String table = table(figures, machine, smoke);
        JsonObject report = new JsonObject()
                .put("mode", smoke ? "smoke" : "full")
                .put("machine", machine.toJson())
                .put("figures", new JsonArray(figures.stream().map(Figure::toJson).toList()))
                .put("jmh", new JsonArray(Files.readString(jmhJson)));
        Files.writeString(out.resolve(name + ".json"), report.encodePrettily() + "\n");
        Files.writeString(out.resolve(name + ".md"), table);
        Files.delete(jmhJson);
        if (readme != null) {
            replaceTable(readme, table);
        }
        System.out.println();
        System.out.println(table);
        System.out.println("Wrote " + out.resolve(name + ".json") + " and " + out.resolve(name + ".md")
                + (readme != null ? "; updated " + readme : ""));
    }

    // ------------------------------------------------------------------------------------------------ figures

    static List<Figure> derive(Results r) {
        List<Figure> figures = new ArrayList<>();
        hop(r).ifPresent(figures::add);
        handoff(r, figures);
        fanout(r).ifPresent(figures::add);
        queue(r, figures);
        startup(r, figures);
        return figures;
    }

    private static Optional<Figure> hop(Results r) {
        return r.both("HopBenchmark.agent", "HopBenchmark.baseline").map(p -> {
            Ratio ratio = Ratio.of(p.agent, p.baseline);
            return new Figure("hop", "acquire→release round trip, agent ÷ baseline", ratio.value, ratio.errorText(), "x",
                    Results.mean(p.agent, "µs/op"), Results.mean(p.baseline, "µs/op") + " (executor hop)", "≤ 1.5x",
                    ratio.value <= 1.5);
        });
    }

    private static void handoff(Results r, List<Figure> figures) {
        Optional<RunResult> agent = r.find("HandoffBenchmark.agent", null);
        Optional<RunResult> polling = r.find("HandoffBenchmark.polling", null);
        if (agent.isEmpty()) {
            return;
        }
        for (int pct : new int[] {50, 99}) {
            String counter = "inAgentP" + pct + "Nanos";
            double limit = pct == 50 ? 20 : 200;
            Statistics inAgent = Results.secondary(agent.get(), counter);
            double value = inAgent.getMean() / 1000;
            double callerSees = agent.get().getPrimaryResult().getStatistics().getPercentile(pct);
            Optional<Double> base = polling.map(p -> Results.secondary(p, counter).getMean() / 1000);
            figures.add(new Figure("handoff", "release → next waiter's grant in the agent, p" + pct, value,
                    Results.range(inAgent, 1e-3), "µs",
                    "mean of " + inAgent.getN() + " iterations' p" + pct + "; a parked caller sees it after "
                            + Figure.format(callerSees) + " µs"
                            + base.map(b -> "; " + Figure.format(b / value) + "x faster than polling").orElse(""),
                    base.map(b -> Figure.format(b / 1000) + " ms (250 ms polling)").orElse("—"),
                    "≤ " + (int) limit + " µs", value <= limit));
        }
    }

    private static Optional<Figure> fanout(Results r) {
        return r.both("FanoutBenchmark.agent", "FanoutBenchmark.baseline").map(p -> {
            Ratio ratio = Ratio.of(p.agent, p.baseline);
            return new Figure("fanout", "deliveries/s to 1,000 subscribers, agent ÷ baseline", ratio.value,
                    ratio.errorText(), "x", Results.mean(p.agent, "M/s", 1e-6),
                    Results.mean(p.baseline, "M/s", 1e-6) + " (multicast sink)", "≥ 0.7x", ratio.value >= 0.7);
        });
    }

    private static void queue(Results r, List<Figure> figures) {
        Optional<RunResult> small = r.find("QueueBenchmark.drain", "10000");
        Optional<RunResult> large = r.find("QueueBenchmark.drain", "100000");
        for (Optional<RunResult> run : List.of(small, large)) {
            run.ifPresent(q -> {
                Statistics heap = Results.secondary(q, "heapBytesPerPendingRequest");
                String n = q.getParams().getParam("requests");
                figures.add(new Figure("queue", "retained heap per pending request (" + n + " queued)",
                        heap.getMean(), Results.range(heap), "B", heap.getN() + " iterations", "—", "≤ 512 B",
                        heap.getMax() <= 512));
            });
        }
        if (small.isPresent() && large.isPresent()) {
            Ratio ratio = Ratio.of(large.get(), small.get());
            figures.add(new Figure("queue", "drain time of 100k ÷ drain time of 10k", ratio.value, ratio.errorText(), "x",
                    Results.mean(large.get(), "ms") + " for 100k", Results.mean(small.get(), "ms") + " for 10k",
                    "≤ 12x", ratio.value <= 12));
        }
    }

    private static void startup(Results r, List<Figure> figures) {
        r.both("StartupBenchmark.serveReady", "StartupBenchmark.javaVersion").ifPresent(p -> {
            Statistics serve = p.agent.getPrimaryResult().getStatistics();
            Statistics java = p.baseline.getPrimaryResult().getStatistics();
            double above = serve.getMean() - java.getMean();
            double error = Math.hypot(Results.halfWidth(serve), Results.halfWidth(java));
            figures.add(new Figure("startup", "process start → ready line, above `java -version`", above,
                    Double.isNaN(error) ? "" : "± " + Figure.format(error), "ms", Results.mean(p.agent, "ms"),
                    Results.mean(p.baseline, "ms") + " (java -version)", "≤ 1,000 ms", above <= 1000));
            Statistics rss = Results.secondary(p.agent, "peakRssKb");
            double peakMb = rss.getMax() / 1024;
            figures.add(new Figure("startup", "peak RSS with -Xmx64m (VmHWM, worst run)", peakMb,
                    "(mean " + Figure.format(rss.getMean() / 1024) + ")", "MB", rss.getN() + " runs", "—",
                    "≤ 128 MB", peakMb <= 128));
        });
    }

    // ------------------------------------------------------------------------------------------------ output

    static String table(List<Figure> figures, Machine machine, boolean smoke) {
        StringBuilder md = new StringBuilder();
        md.append(smoke ? "Smoke run (one short iteration each: indicative only)" : "Full run").append(" on ")
                .append(machine.describe()).append(".\n\n");
        md.append("| id | figure | value | agent | baseline (same run) | target | met |\n");
        md.append("|---|---|---|---|---|---|---|\n");
        for (Figure f : figures) {
            md.append(f.markdownRow()).append('\n');
        }
        md.append("\nErrors: ± is the 99.9% confidence half-width (propagated for ratios); [a–b] is the range across "
                + "measured iterations.\n");
        return md.toString();
    }

    static void replaceTable(Path readme, String table) throws IOException {
        String text = Files.readString(readme, StandardCharsets.UTF_8);
        int begin = text.indexOf(BEGIN);
        int end = text.indexOf(END);
        if (begin < 0 || end < begin) {
            throw new IllegalStateException(readme + " has no " + BEGIN + " ... " + END + " section");
        }
        String updated = text.substring(0, begin + BEGIN.length()) + "\n" + table + text.substring(end);
        Files.writeString(readme, updated, StandardCharsets.UTF_8);
    }

    /** A ratio of two means with the propagated relative error of their 99.9% confidence intervals. */
    record Ratio(double value, double error) {

        static Ratio of(RunResult numerator, RunResult denominator) {
            Statistics a = numerator.getPrimaryResult().getStatistics();
            Statistics b = denominator.getPrimaryResult().getStatistics();
            double value = a.getMean() / b.getMean();
            double rel = Math.hypot(Results.halfWidth(a) / a.getMean(), Results.halfWidth(b) / b.getMean());
            return new Ratio(value, value * rel);
        }

        String errorText() {
            return Double.isNaN(error) ? "" : "± " + Figure.format(error);
        }
    }

    /** Looks results up by benchmark and parameter. */
    record Results(Collection<RunResult> all) {

        Optional<RunResult> find(String benchmark, String requests) {
            return all.stream()
                    .filter(r -> r.getParams().getBenchmark().endsWith("." + benchmark))
                    .filter(r -> requests == null || requests.equals(r.getParams().getParam("requests")))
                    .findFirst();
        }

        Optional<Pair> both(String agent, String baseline) {
            Optional<RunResult> a = find(agent, null);
            Optional<RunResult> b = find(baseline, null);
            return a.isPresent() && b.isPresent() ? Optional.of(new Pair(a.get(), b.get())) : Optional.empty();
        }

        static double halfWidth(Statistics s) {
            return s.getN() > 2 ? s.getMeanErrorAt(0.999) : Double.NaN;
        }

        static String mean(RunResult r, String unit) {
            return mean(r, unit, 1);
        }

        static String mean(RunResult r, String unit, double scale) {
            Statistics s = r.getPrimaryResult().getStatistics();
            double hw = halfWidth(s);
            return Figure.format(s.getMean() * scale) + (Double.isNaN(hw) ? "" : " ± " + Figure.format(hw * scale))
                    + " " + unit;
        }

        /** Per-iteration values of a secondary result (an AuxCounter) across every fork. */
        static Statistics secondary(RunResult r, String label) {
            org.openjdk.jmh.util.ListStatistics values = new org.openjdk.jmh.util.ListStatistics();
            for (BenchmarkResult fork : r.getBenchmarkResults()) {
                for (IterationResult it : fork.getIterationResults()) {
                    Result<?> value = it.getSecondaryResults().get(label);
                    if (value != null) {
                        values.addValue(value.getScore());
                    }
                }
            }
            return values;
        }

        static String range(Statistics s) {
            return range(s, 1);
        }

        static String range(Statistics s, double scale) {
            return s.getN() > 1 ? "[" + Figure.format(s.getMin() * scale) + "–" + Figure.format(s.getMax() * scale)
                    + "]" : "";
        }
    }

    record Pair(RunResult agent, RunResult baseline) {
    }

    /** Where the suite ran. */
    record Machine(String cpu, int cores, String jdk, String os, String date) {

        static Machine current() {
            String cpu = firstValue(Path.of("/proc/cpuinfo"), "model name", ':').orElse(System.getProperty("os.arch"));
            String os = firstValue(Path.of("/etc/os-release"), "PRETTY_NAME=", '=').map(v -> v.replace("\"", ""))
                    .orElse(System.getProperty("os.name")) + ", kernel " + System.getProperty("os.version");
            String jdk = System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version");
            String date = ZonedDateTime.now().format(DateTimeFormatter.ISO_OFFSET_DATE_TIME.withZone(
                    java.time.ZoneOffset.UTC)).replaceAll("\\.\\d+", "");
            return new Machine(cpu, Runtime.getRuntime().availableProcessors(), jdk, os, date);
        }

        private static Optional<String> firstValue(Path file, String key, char separator) {
            try {
                return Files.readAllLines(file).stream()
                        .filter(l -> l.startsWith(key))
                        .map(l -> l.substring(l.indexOf(separator) + 1).trim())
                        .findFirst();
            } catch (IOException e) {
                return Optional.empty();
            }
        }

        String describe() {
            return cpu + ", " + cores + " cores, " + jdk + ", " + os + ", " + date;
        }

        JsonObject toJson() {
            return new JsonObject().put("cpu", cpu).put("cores", cores).put("jdk", jdk).put("os", os)
                    .put("date", date);
        }
    }
}
