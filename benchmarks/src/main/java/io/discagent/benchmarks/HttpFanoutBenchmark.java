package io.discagent.benchmarks;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Writer;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
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
 * <b>http-fanout</b>: acquire→release round trips over HTTP against a real service process ({@code java -jar
 * discagent.jar serve}, simulated backend, one recorder), with no event-stream clients ({@link #noClients}) and with
 * 1,000 SSE and 200 WebSocket clients attached ({@link #withClients}); each round trip makes two events, which every
 * client receives. The clients run in this JVM on Vert.x; each checks that the sequences it receives follow each
 * other without a gap. At the end of the trial every client must still be connected and have received every event up
 * to the last one, or the trial fails: the figure cannot be bought by dropping clients. Target: with the clients, at
 * least half the rate without them (same run).
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 6, time = 5)
@Measurement(iterations = 5, time = 5)
@Fork(1)
public class HttpFanoutBenchmark {

    /** The SSE clients (1,000; {@code -Dhttp-fanout.sse=N} for a quick look). */
    static final int SSE_CLIENTS = Integer.getInteger("http-fanout.sse", 1000);
    /** The WebSocket clients (200; {@code -Dhttp-fanout.ws=N}). */
    static final int WS_CLIENTS = Integer.getInteger("http-fanout.ws", 200);
    /**
     * The CPUs the service process may use ({@code -Dhttp-fanout.serviceCpus=0}, through {@code taskset}); run the
     * benchmark's own JVM on the others ({@code taskset -c 1 java -jar ...}) so that the clients cannot take the
     * service's CPU. Empty: both share every CPU.
     */
    static final String SERVICE_CPUS = System.getProperty("http-fanout.serviceCpus", "");
    private static final Pattern URL = Pattern.compile("http://[^\\s,;]+");
    private static final Pattern SEQUENCE = Pattern.compile("\"sequence\":(\\d+)");
    private static final Pattern CAUSE_SNAPSHOT = Pattern.compile("\"cause\":\"SNAPSHOT\"");

    /** A service process with one recorder and one session. */
    @State(Scope.Benchmark)
    public static class Service {

        Process process;
        String base;
        String sessionId;
        String token;
        java.net.http.HttpClient http;
        Path log;
        /** What must run while the service is still up, at the end of the trial (the crowd's check). */
        @Nullable Check beforeStop;

        /** A step that may wait. */
        interface Check {
            void run() throws InterruptedException;
        }

        @Setup(Level.Trial)
        public void start() throws IOException {
            List<String> command = new ArrayList<>();
            if (!SERVICE_CPUS.isEmpty()) {
                command.addAll(List.of("taskset", "-c", SERVICE_CPUS)); // the service on CPUs of its own
            }
            command.addAll(List.of(StartupBenchmark.Spawned.java(), "-Xmx512m", "-jar",
                    StartupBenchmark.Spawned.jar().toString(), "serve", "--backend", "simulated", "--recorders", "1",
                    "--port", "0", "--max-connections", "4096"));
            process = new ProcessBuilder(command).redirectErrorStream(true).start();
            // JMH skips this state's tear-down when another state's set-up fails: never leave the service behind
            Process started = process;
            Runtime.getRuntime().addShutdownHook(new Thread(started::destroyForcibly, "http-fanout-reaper"));
            BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(),
                    StandardCharsets.UTF_8));
            String line;
            while ((line = out.readLine()) != null && !line.startsWith(StartupBenchmark.READY)) {
                // start-up output
            }
            if (line == null) {
                throw new IllegalStateException("the service exited before it was ready");
            }
            Matcher url = URL.matcher(line);
            if (!url.find()) {
                throw new IllegalStateException("no URL in the ready line: " + line);
            }
            base = url.group();
            log = Files.createTempFile("http-fanout-service", ".log");
            System.out.printf("%n# http-fanout: the service's output goes to %s%n", log);
            Thread drain = new Thread(() -> {
                try (Writer file = Files.newBufferedWriter(log)) {
                    out.transferTo(file);
                } catch (IOException ignored) {
                    // the process is gone
                }
            }, "http-fanout-drain");
            drain.setDaemon(true);
            drain.start();
            http = java.net.http.HttpClient.newBuilder().version(java.net.http.HttpClient.Version.HTTP_1_1).build();
            JsonObject session = new JsonObject(post("/api/v1/sessions", new JsonObject()
                    .put("clientName", "Benchmark").put("ttlMillis", 3_600_000), 201));
            sessionId = session.getString("sessionId");
            token = session.getString("token");
        }

        String post(String path, JsonObject body, int expected) {
            HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path))
                    .header("Content-Type", "application/json").timeout(Duration.ofSeconds(30))
                    .POST(HttpRequest.BodyPublishers.ofString(body.encode()));
            if (token != null) {
                request.header("X-Session-Token", token);
            }
            try {
                HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
                if (response.statusCode() != expected) {
                    throw new IllegalStateException(path + " answered " + response.statusCode() + ": "
                            + response.body());
                }
                return response.body();
            } catch (IOException e) {
                throw new IllegalStateException(path + " failed", e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }

        /** One acquire→release round trip. */
        int roundTrip() {
            JsonObject body = new JsonObject().put("sessionId", sessionId);
            post("/api/v1/recorders/sim-0/acquire", body, 200);
            post("/api/v1/recorders/sim-0/release", body, 200);
            return 2;
        }

        @TearDown(Level.Trial)
        public void stop() throws InterruptedException {
            try {
                if (beforeStop != null) {
                    beforeStop.run();
                }
            } finally {
                destroy();
            }
        }

        private void destroy() throws InterruptedException {
            if (process != null && !process.isAlive()) {
                System.out.printf("%n# http-fanout: the service process had exited (%d); see %s%n",
                        process.exitValue(), log);
            }
            if (process != null) {
                process.destroy();
                if (!process.waitFor(10, TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            }
        }
    }

    /** One stream client's view: the last sequence it received, and whether every one followed the one before. */
    static final class Seen {
        volatile long last = -1;
        volatile boolean gap;
        volatile boolean closed;
        volatile String problem = "";

        /** A sequence received; a snapshot (which repeats the last event's sequence) only starts the count. */
        void sequence(long sequence, boolean snapshot) {
            if (snapshot) {
                if (last < 0) {
                    last = sequence;
                }
                return;
            }
            if (last >= 0 && sequence != last + 1) {
                gap = true;
                problem = "expected " + (last + 1) + ", got " + sequence;
            }
            last = sequence;
        }
    }

    /** The service with 1,000 SSE and 200 WebSocket clients attached. */
    @State(Scope.Benchmark)
    public static class Crowd {

        Vertx vertx;
        final List<Seen> clients = new ArrayList<>();

        @Setup(Level.Trial)
        public void attach(Service service) throws Exception {
            service.beforeStop = () -> check(service);
            vertx = Vertx.vertx();
            URI base = URI.create(service.base);
            HttpClient sse = vertx.createHttpClient(new HttpClientOptions().setDefaultHost(base.getHost())
                    .setDefaultPort(base.getPort()), new PoolOptions().setHttp1MaxSize(SSE_CLIENTS + 10));
            List<java.util.concurrent.CompletableFuture<?>> opened = new ArrayList<>();
            for (int i = 0; i < SSE_CLIENTS; i++) {
                Seen seen = new Seen();
                clients.add(seen);
                StringBuilder pending = new StringBuilder();
                opened.add(sse.request(HttpMethod.GET, "/api/v1/events")
                        .compose(request -> request.putHeader("Accept", "text/event-stream").send())
                        .onSuccess(response -> {
                            response.handler(chunk -> {
                                pending.append(chunk.toString(StandardCharsets.UTF_8));
                                int end;
                                while ((end = pending.indexOf("\n\n")) >= 0) {
                                    String frame = pending.substring(0, end);
                                    pending.delete(0, end + 2);
                                    Matcher m = SEQUENCE.matcher(frame);
                                    if (frame.contains("\ndata: ") || frame.startsWith("data: ")) {
                                        if (m.find()) {
                                            seen.sequence(Long.parseLong(m.group(1)),
                                                    CAUSE_SNAPSHOT.matcher(frame).find());
                                        }
                                    }
                                }
                            });
                            response.endHandler(v -> seen.closed = true);
                            response.exceptionHandler(e -> seen.closed = true);
                        }).toCompletionStage().toCompletableFuture());
            }
            // Vert.x lets a WebSocket client open 50 connections to one server by default and queues the rest
            WebSocketClient ws = vertx.createWebSocketClient(new WebSocketClientOptions()
                    .setMaxConnections(WS_CLIENTS + 10));
            for (int i = 0; i < WS_CLIENTS; i++) {
                Seen seen = new Seen();
                clients.add(seen);
                opened.add(ws.connect(new WebSocketConnectOptions().setHost(base.getHost()).setPort(base.getPort())
                        .setURI("/api/v1/events/ws")).onSuccess(socket -> {
                            socket.textMessageHandler(text -> {
                                Matcher m = SEQUENCE.matcher(text);
                                if (m.find()) {
                                    seen.sequence(Long.parseLong(m.group(1)), CAUSE_SNAPSHOT.matcher(text).find());
                                }
                            });
                            socket.closeHandler(v -> seen.closed = true);
                        }).toCompletionStage().toCompletableFuture());
            }
            long connected = System.nanoTime();
            try {
                java.util.concurrent.CompletableFuture.allOf(opened.toArray(
                        new java.util.concurrent.CompletableFuture[0])).get(300, TimeUnit.SECONDS);
            } catch (java.util.concurrent.TimeoutException e) {
                long done = opened.stream().filter(f -> f.isDone() && !f.isCompletedExceptionally()).count();
                long failed = opened.stream().filter(java.util.concurrent.CompletableFuture::isCompletedExceptionally)
                        .count();
                throw new IllegalStateException(done + " of " + opened.size() + " clients connected, " + failed
                        + " failed, the rest still waiting after 300 s", e);
            }
            System.out.printf("%n# http-fanout: %d clients connected in %d ms%n", clients.size(),
                    (System.nanoTime() - connected) / 1_000_000);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (clients.stream().anyMatch(c -> c.last < 0)) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("not every client received its snapshot");
                }
                Thread.sleep(50);
            }
        }

        /**
         * Every client must still be connected and reach the last event without a gap. JMH does not order the
         * tear-down of two states by their dependency, so the service runs this before it stops.
         */
        void check(Service service) throws InterruptedException {
            try {
                // one more round trip: its RELEASED is the last event
                service.roundTrip();
                long target = clients.stream().mapToLong(c -> c.last).max().orElse(-1);
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (clients.stream().anyMatch(c -> c.last < target && !c.closed && !c.gap)) {
                    if (System.nanoTime() > deadline) {
                        break;
                    }
                    Thread.sleep(50);
                }
                long behind = clients.stream().filter(c -> c.last < target).count();
                long closed = clients.stream().filter(c -> c.closed).count();
                long gaps = clients.stream().filter(c -> c.gap).count();
                System.out.printf("%n# http-fanout: %d clients, last sequence %d: %d behind, %d closed, %d with a "
                        + "gap%n", clients.size(), target, behind, closed, gaps);
                if (behind > 0 || closed > 0 || gaps > 0) {
                    throw new IllegalStateException(behind + " clients behind, " + closed + " closed, " + gaps
                            + " with a gap (" + clients.stream().filter(c -> c.gap).map(c -> c.problem).findFirst()
                            .orElse("") + ")");
                }
            } finally {
                vertx.close().toCompletionStage().toCompletableFuture().join();
            }
        }
    }

    @Benchmark
    public int noClients(Service service) {
        return service.roundTrip();
    }

    @Benchmark
    public int withClients(Service service, Crowd crowd) {
        return service.roundTrip();
    }
}
