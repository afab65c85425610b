package io.discagent.benchmarks;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.function.ToDoubleFunction;
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
import org.openjdk.jmh.util.ListStatistics;
import org.openjdk.jmh.util.Statistics;

/**
 * Runs the whole suite in rounds, derives each figure from the agent's result and its baseline's, and writes
 * {@code <out>/<name>.json} (the machine, the figures, and JMH's own JSON of every round) and {@code <out>/<name>.md}
 * (the table); with {@code --readme FILE}, it also replaces the table in that file.
 *
 * <p><b>Rounds.</b> Each round runs every benchmark once (one fork, the iterations the class declares), so an agent
 * benchmark and its baseline run minutes apart at most. A ratio is computed within each round and the figure is the
 * mean of the rounds' ratios, with their range as the error bar: load from other work on a shared machine drifts over
 * a run, and pairing within a round keeps that drift out of the comparison. Full run: {@value #ROUNDS} rounds.
 *
 * <p>{@code --smoke}: one round, and one warm-up and one measured iteration of at most 1 s for every benchmark (the
 * figures are then indicative only); the outputs are named {@code smoke} instead of {@code latest}.
 *
 * <p>Exits non-zero when a benchmark fails; a missed target is reported, not an error.
 */
public final class Suite {

    static final String BEGIN = "<!-- results:begin -->";
    static final String END = "<!-- results:end -->";
    static final int ROUNDS = 3;

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
        int rounds = smoke ? 1 : ROUNDS;

        List<Collection<RunResult>> results = new ArrayList<>();
        JsonArray jmh = new JsonArray();
        for (int round = 1; round <= rounds; round++) {
            System.out.println("# Suite: round " + round + " of " + rounds);
            Path jmhJson = out.resolve(name + "-jmh-" + round + ".json");
            ChainedOptionsBuilder options = new OptionsBuilder()
                    .include("io\\.discagent\\.benchmarks\\.[A-Za-z]+Benchmark\\.")
                    // run by hand until it has been measured on a machine that is not shared (benchmarks/README.md)
                    .exclude("io\\.discagent\\.benchmarks\\.HttpFanoutBenchmark\\.")
                    .forks(1)
                    .shouldFailOnError(true)
                    .resultFormat(ResultFormatType.JSON)
                    .result(jmhJson.toString());
            if (smoke) {
                options.warmupIterations(1).warmupTime(TimeValue.seconds(1))
                        .measurementIterations(1).measurementTime(TimeValue.seconds(1));
            }
            results.add(new Runner(options.build()).run());
            for (Object entry : new JsonArray(Files.readString(jmhJson))) {
                jmh.add(((JsonObject) entry).put("round", round));
            }
            Files.delete(jmhJson);
        }

        Machine machine = Machine.current();
        List<Figure> figures = derive(new Results(results));
        String table = table(figures, machine, smoke, rounds);
        JsonObject report = new JsonObject()
                .put("mode", smoke ? "smoke" : "full")
                .put("rounds", rounds)
                .put("machine", machine.toJson())
                .put("figures", new JsonArray(figures.stream().map(Figure::toJson).toList()))
                .put("jmh", jmh);
        Files.writeString(out.resolve(name + ".json"), report.encodePrettily() + "\n");
        Files.writeString(out.resolve(name + ".md"), table);
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
        hop(r, figures);
        handoff(r, figures);
        fanout(r, figures);
        queue(r, figures);
        startup(r, figures);
        fleet(r, figures);
        return figures;
    }

    private static void fleet(Results r, List<Figure> figures) {
        List<Pair> rounds = r.pairs("FleetBenchmark.remote", null, "FleetBenchmark.local", null);
        if (!rounds.isEmpty()) {
            Statistics ratio = perRound(rounds, p -> mean(p.agent) / mean(p.baseline));
            figures.add(new Figure("fleet", "acquire→release round trip, remote (over the fleet) ÷ local",
                    ratio.getMean(), range(ratio), "x", means(rounds, true, "µs/op", 1), means(rounds, false,
                    "µs/op", 1) + " (local)", "measured, no target", true));
        }
    }

    private static void hop(Results r, List<Figure> figures) {
        List<Pair> rounds = r.pairs("HopBenchmark.agent", null, "HopBenchmark.baseline", null);
        if (!rounds.isEmpty()) {
            Statistics ratio = perRound(rounds, p -> mean(p.agent) / mean(p.baseline));
            figures.add(new Figure("hop", "acquire→release round trip, agent ÷ baseline", ratio.getMean(),
                    range(ratio), "x", means(rounds, true, "µs/op", 1), means(rounds, false, "µs/op", 1)
                    + " (executor hop)", "≤ 1.5x", ratio.getMean() <= 1.5));
        }
    }

    private static void handoff(Results r, List<Figure> figures) {
        List<RunResult> agent = r.all("HandoffBenchmark.agent", null);
        List<RunResult> polling = r.all("HandoffBenchmark.polling", null);
        if (agent.isEmpty()) {
            return;
        }
        for (int pct : new int[] {50, 99}) {
            String counter = "inAgentP" + pct + "Nanos";
            double limit = pct == 50 ? 20 : 200;
            Statistics inAgent = secondary(agent, counter);
            double value = inAgent.getMean() / 1000;
            Statistics callerSees = perRound(agent, a -> a.getPrimaryResult().getStatistics().getPercentile(pct));
            Statistics base = secondary(polling, counter);
            String faster = base.getN() == 0 ? "" : "; " + Figure.format(base.getMean() / 1000 / value)
                    + "x faster than polling";
            figures.add(new Figure("handoff", "release → next waiter's grant in the agent, p" + pct, value,
                    range(inAgent, 1e-3), "µs", "mean of " + inAgent.getN() + " iterations' p" + pct
                            + "; a parked caller learns of it after " + Figure.format(callerSees.getMean()) + " µs"
                            + faster,
                    base.getN() == 0 ? "—" : Figure.format(base.getMean() / 1e6) + " ms " + range(base, 1e-6)
                            + " (250 ms polling)",
                    "≤ " + (int) limit + " µs", value <= limit));
        }
    }

    private static void fanout(Results r, List<Figure> figures) {
        List<Pair> rounds = r.pairs("FanoutBenchmark.agent", null, "FanoutBenchmark.baseline", null);
        if (!rounds.isEmpty()) {
            Statistics ratio = perRound(rounds, p -> mean(p.agent) / mean(p.baseline));
            figures.add(new Figure("fanout", "deliveries/s to 1,000 subscribers, agent ÷ baseline", ratio.getMean(),
                    range(ratio), "x", means(rounds, true, "M/s", 1e-6), means(rounds, false, "M/s", 1e-6)
                    + " (multicast sink)", "≥ 0.7x", ratio.getMean() >= 0.7));
        }
    }

    private static void queue(Results r, List<Figure> figures) {
        for (String n : List.of("10000", "100000")) {
            List<RunResult> runs = r.all("QueueBenchmark.drain", n);
            if (!runs.isEmpty()) {
                Statistics heap = secondary(runs, "heapBytesPerPendingRequest");
                figures.add(new Figure("queue", "retained heap per pending request (" + n + " queued)",
                        heap.getMean(), range(heap), "B", heap.getN() + " iterations, worst " + Figure.format(
                        heap.getMax()) + " B", "—", "≤ 512 B", heap.getMax() <= 512));
            }
        }
        List<Pair> rounds = r.pairs("QueueBenchmark.drain", "100000", "QueueBenchmark.drain", "10000");
        if (!rounds.isEmpty()) {
            Statistics ratio = perRound(rounds, p -> mean(p.agent) / mean(p.baseline));
            figures.add(new Figure("queue", "drain time of 100k ÷ drain time of 10k", ratio.getMean(), range(ratio),
                    "x", means(rounds, true, "ms", 1) + " for 100k", means(rounds, false, "ms", 1) + " for 10k",
                    "≤ 12x", ratio.getMean() <= 12));
        }
    }

    private static void startup(Results r, List<Figure> figures) {
        startup(r, figures, "StartupBenchmark.serveReady", "`java -jar`");
        startup(r, figures, "StartupBenchmark.serveReadyLauncher", "`./discagent` (AppCDS)");
    }

    private static void startup(Results r, List<Figure> figures, String benchmark, String how) {
        List<Pair> rounds = r.pairs(benchmark, null, "StartupBenchmark.javaVersion", null);
        if (rounds.isEmpty()) {
            return;
        }
        Statistics above = perRound(rounds, p -> mean(p.agent) - mean(p.baseline));
        figures.add(new Figure("startup", how + ": process start → ready line, above `java -version`",
                above.getMean(), range(above), "ms", means(rounds, true, "ms", 1),
                means(rounds, false, "ms", 1) + " (java -version)", "≤ 1,000 ms", above.getMean() <= 1000));
        Statistics rss = secondary(rounds.stream().map(Pair::agent).toList(), "peakRssKb");
        double peakMb = rss.getMax() / 1024;
        figures.add(new Figure("startup", how + ": peak RSS with -Xmx64m (VmHWM, worst run)", peakMb,
                "(mean " + Figure.format(rss.getMean() / 1024) + ")", "MB", rss.getN() + " runs", "—", "≤ 128 MB",
                peakMb <= 128));
    }

    // ------------------------------------------------------------------------------------------------ statistics

    static double mean(RunResult r) {
        return r.getPrimaryResult().getStatistics().getMean();
    }

    static <T> Statistics perRound(List<T> rounds, ToDoubleFunction<T> value) {
        ListStatistics s = new ListStatistics();
        rounds.forEach(round -> s.addValue(value.applyAsDouble(round)));
        return s;
    }

    /** The mean over the rounds of one side's means, with the range of those means. */
    static String means(List<Pair> rounds, boolean agent, String unit, double scale) {
        Statistics s = perRound(rounds, p -> mean(agent ? p.agent : p.baseline) * scale);
        return Figure.format(s.getMean()) + " " + unit + (s.getN() > 1 ? " " + range(s) : "");
    }

    /** Per-iteration values of a secondary result (an AuxCounter) across every round. */
    static Statistics secondary(List<RunResult> runs, String label) {
        ListStatistics values = new ListStatistics();
        for (RunResult run : runs) {
            for (BenchmarkResult fork : run.getBenchmarkResults()) {
                for (IterationResult it : fork.getIterationResults()) {
                    Result<?> value = it.getSecondaryResults().get(label);
                    if (value != null) {
                        values.addValue(value.getScore());
                    }
                }
            }
        }
        return values;
    }

    static String range(Statistics s) {
        return range(s, 1);
    }

    static String range(Statistics s, double scale) {
        return s.getN() > 1 ? "[" + Figure.format(s.getMin() * scale) + "–" + Figure.format(s.getMax() * scale) + "]"
                : "";
    }

    // ------------------------------------------------------------------------------------------------ output

    static String table(List<Figure> figures, Machine machine, boolean smoke, int rounds) {
        StringBuilder md = new StringBuilder();
        md.append(smoke ? "Smoke run (one short iteration each: indicative only)" : "Full run, " + rounds + " rounds")
                .append(", on ").append(machine.describe()).append(".\n\n");
        md.append("| id | figure | value | agent | baseline (same run) | target | met |\n");
        md.append("|---|---|---|---|---|---|---|\n");
        for (Figure f : figures) {
            md.append(f.markdownRow()).append('\n');
        }
        md.append("\n[a–b]: the range over the rounds (ratios, differences, means) or over the measured iterations "
                + "(hand-off percentiles, heap); the value is the mean.\n");
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

    /** The results of every round, looked up by benchmark and parameter. */
    record Results(List<Collection<RunResult>> rounds) {

        /** The result of each round that ran {@code benchmark} (with {@code requests}, if given). */
        List<RunResult> all(String benchmark, String requests) {
            List<RunResult> found = new ArrayList<>();
            for (Collection<RunResult> round : rounds) {
                find(round, benchmark, requests).ifPresent(found::add);
            }
            return found;
        }

        /** Agent and baseline results paired by round. */
        List<Pair> pairs(String agent, String agentRequests, String baseline, String baselineRequests) {
            List<Pair> found = new ArrayList<>();
            for (Collection<RunResult> round : rounds) {
                Optional<RunResult> a = find(round, agent, agentRequests);
                Optional<RunResult> b = find(round, baseline, baselineRequests);
                if (a.isPresent() && b.isPresent()) {
                    found.add(new Pair(a.get(), b.get()));
                }
            }
            return found;
        }

        private static Optional<RunResult> find(Collection<RunResult> round, String benchmark, String requests) {
            return round.stream()
                    .filter(r -> r.getParams().getBenchmark().endsWith("." + benchmark))
                    .filter(r -> requests == null || requests.equals(r.getParams().getParam("requests")))
                    .findFirst();
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
            String date = ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ISO_OFFSET_DATE_TIME)
                    .replaceAll("\\.\\d+", "");
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
