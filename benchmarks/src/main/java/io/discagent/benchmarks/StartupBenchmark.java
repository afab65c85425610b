package io.discagent.benchmarks;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * <b>startup</b>: wall time from process start to the service's ready line ({@code serve --backend simulated --port 0}
 * printing "discagent is serving ..."), against {@code java -Xmx64m -version} on the same JVM, all spawned from here
 * one after the other. The service is started two ways: {@code java -Xmx64m -jar discagent.jar} ({@link #serveReady}),
 * and the {@code ./discagent} launcher beside the project's {@code service/} folder with {@code -Xmx64m} in
 * {@code DISCAGENT_JAVA_OPTS} ({@link #serveReadyLauncher}), which maps the class-data archive it records once per
 * build; the trial's set-up has it record the archive, so no measured start does. Targets: at most 1.0 s above the
 * baseline; peak resident set ({@code VmHWM} in {@code /proc/<pid>/status}) at most 128 MB.
 *
 * <p>The jar is found through the {@code discagent.jar} system property or the {@code DISCAGENT_JAR} environment
 * variable ({@code benchmarks/run.sh} sets it), falling back to {@code service/target/discagent.jar}; the launcher is
 * {@code ../../discagent} from the jar. The peak RSS is read once the process has run {@value #SETTLE_MILLIS} ms past
 * the timed part, then the process is stopped.
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 1)
@Measurement(iterations = 6)
@Fork(1)
public class StartupBenchmark {

    static final String READY = "discagent is serving";
    static final long SETTLE_MILLIS = 500;
    static final String HEAP = "-Xmx64m";
    static final List<String> SERVE = List.of("serve", "--backend", "simulated", "--port", "0");

    /**
     * The process of the current invocation, and its peak resident set in kB (reported by JMH next to the time),
     * read {@value #SETTLE_MILLIS} ms after the ready line and before the process is stopped.
     */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.EVENTS)
    public static class Spawned {

        public long peakRssKb;
        Process process;

        static String java() {
            return Path.of(System.getProperty("java.home"), "bin", "java").toString();
        }

        static Path jar() {
            String configured = System.getProperty("discagent.jar", System.getenv("DISCAGENT_JAR"));
            Path jar = Path.of(configured != null ? configured : "service/target/discagent.jar").toAbsolutePath();
            if (!Files.isRegularFile(jar)) {
                throw new IllegalStateException("no service jar at " + jar + " (build it: mvn -B -DskipTests package "
                        + "-pl service -am, or set DISCAGENT_JAR)");
            }
            return jar;
        }

        @Setup(Level.Iteration)
        public void clear() {
            peakRssKb = 0;
        }

        /** Lets a running process settle, reads its peak RSS, stops it. */
        @TearDown(Level.Invocation)
        public void stop() throws IOException, InterruptedException {
            Process p = process;
            process = null;
            if (p == null) {
                return;
            }
            if (p.isAlive() && !p.waitFor(SETTLE_MILLIS, TimeUnit.MILLISECONDS)) {
                peakRssKb = peakRssKb(p.pid());
                p.destroy();
                if (!p.waitFor(10, TimeUnit.SECONDS)) {
                    p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            }
        }
    }

    /** The {@code ./discagent} launcher; the trial's set-up has it record its class-data archive. */
    @State(Scope.Benchmark)
    public static class Launcher {

        static Path path() {
            Path launcher = Spawned.jar().getParent().getParent().getParent().resolve("discagent");
            if (!Files.isRegularFile(launcher)) {
                throw new IllegalStateException("no launcher at " + launcher);
            }
            return launcher;
        }

        /** Has the launcher record its class-data archive if the jar is newer, so no measured start pays for it. */
        @Setup(Level.Trial)
        public void recordArchive() throws IOException, InterruptedException {
            Process p = launch(List.of("--version")).redirectErrorStream(true).start();
            p.getInputStream().transferTo(OutputStream.nullOutputStream());
            if (p.waitFor() != 0) {
                throw new IllegalStateException("discagent --version exited with " + p.exitValue());
            }
        }

        /** The launcher with {@code arguments}, on this JVM and with the benchmark's heap. */
        static ProcessBuilder launch(List<String> arguments) {
            List<String> command = new ArrayList<>(List.of("bash", path().toString()));
            command.addAll(arguments);
            ProcessBuilder builder = new ProcessBuilder(command);
            builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
            builder.environment().put("DISCAGENT_JAVA_OPTS", HEAP);
            builder.environment().remove("DISCAGENT_CDS");
            return builder;
        }
    }

    @Benchmark
    public int javaVersion(Spawned s) throws IOException, InterruptedException {
        s.process = new ProcessBuilder(Spawned.java(), HEAP, "-version").redirectErrorStream(true).start();
        s.process.getInputStream().transferTo(OutputStream.nullOutputStream());
        int exit = s.process.waitFor();
        if (exit != 0) {
            throw new IllegalStateException("java -version exited with " + exit);
        }
        return exit;
    }

    @Benchmark
    public String serveReady(Spawned s) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(Spawned.java(), HEAP, "-jar", Spawned.jar().toString()));
        command.addAll(SERVE);
        return untilReady(s, new ProcessBuilder(command));
    }

    @Benchmark
    public String serveReadyLauncher(Spawned s, Launcher launcher) throws IOException, InterruptedException {
        return untilReady(s, Launcher.launch(SERVE));
    }

    private static String untilReady(Spawned s, ProcessBuilder command) throws IOException, InterruptedException {
        s.process = command.redirectErrorStream(true).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(s.process.getInputStream(),
                StandardCharsets.UTF_8));
        List<String> seen = new ArrayList<>();
        String line;
        while ((line = out.readLine()) != null) {
            if (line.startsWith(READY)) {
                drainInBackground(out);
                return line;
            }
            seen.add(line);
        }
        throw new IllegalStateException("the service exited (" + s.process.waitFor() + ") before its ready line: "
                + seen);
    }

    static long peakRssKb(long pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
            if (line.startsWith("VmHWM:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new IllegalStateException("no VmHWM in /proc/" + pid + "/status");
    }

    private static void drainInBackground(BufferedReader out) {
        Thread drain = new Thread(() -> {
            try {
                out.transferTo(Writer.nullWriter());
            } catch (IOException ignored) {
                // the process is gone
            }
        }, "startup-drain");
        drain.setDaemon(true);
        drain.start();
    }
}
