package io.discagent.service;

import static io.discagent.service.FleetSupport.freePorts;
import static io.discagent.service.FleetSupport.reachable;
import static io.discagent.service.FleetSupport.secret;
import static org.assertj.core.api.Assertions.assertThat;

import io.discagent.api.RecorderId;
import io.discagent.api.event.MediaChangedEvent.MediaState;
import io.discagent.service.SseClient.Frame;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code GET /api/v1/fleet/events}: a snapshot of the fleet view, then every change of every node, each with its node
 * and that node's sequence, never going back within a node. Three real members on loopback.
 */
class FleetEventStreamTests {

    @Test
    void theStreamShowsEveryNodesChangesInThatNodesOrder() throws Exception {
        int[] ports = freePorts(3);
        byte[] secret = secret();
        List<TestService> started = new ArrayList<>();
        try {
            TestService a = FleetSupport.member("node-a", ports, 0, secret, c -> { });
            started.add(a);
            TestService b = FleetSupport.member("node-b", ports, 1, secret, c -> { });
            started.add(b);
            TestService c = FleetSupport.member("node-c", ports, 2, secret, c3 -> { });
            started.add(c);
            for (TestService t : started) {
                FleetSupport.awaitView(t, v -> reachable(v).size() == 3 && v.recorders().size() == 6);
            }
            try (SseClient sse = SseClient.connect(a.http, a.base + "/api/v1/fleet/events")) {
                assertThat(sse.status).isEqualTo(200);
                Frame snapshot = sse.next();
                assertThat(snapshot.event()).isEqualTo("snapshot");
                assertThat(snapshot.data().getJsonObject("view").getJsonArray("recorders")).hasSize(6);
                List<Frame> seen = new ArrayList<>();

                TestService.Session burner = b.openForMinutes("Burner on B");
                assertThat(b.acquire(burner, "sim-0").status()).isEqualTo(200);
                Frame held = sse.awaitFrame(seen, f -> f.event().equals("lock") && f.data().getString("node")
                        .equals("node-b") && lock(f).getString("state").equals("held"));
                assertThat(lock(held).getString("owner")).isEqualTo("Burner on B");
                assertThat(held.data().getJsonObject("recorder").getString("id")).isEqualTo("sim-0");
                assertThat(b.release(burner, "sim-0").status()).isEqualTo(200);
                sse.awaitFrame(seen, f -> f.event().equals("lock") && f.data().getString("node").equals("node-b")
                        && lock(f).getString("state").equals("free"));

                c.sim().changeMedia(RecorderId.of("sim-1"), MediaState.NO_MEDIA);
                sse.awaitFrame(seen, f -> f.event().equals("media") && f.data().getString("node").equals("node-c"));
                c.sim().addRecorder("sim-7");
                Frame arrived = sse.awaitFrame(seen, f -> f.event().equals("arrived"));
                assertThat(arrived.data().getString("node")).isEqualTo("node-c");
                assertThat(arrived.data().getJsonObject("recorder").getString("id")).isEqualTo("sim-7");
                c.sim().removeRecorder(RecorderId.of("sim-7"));
                sse.awaitFrame(seen, f -> f.event().equals("removed") && f.data().getString("node").equals("node-c"));

                // the same stream over a WebSocket: a snapshot, then node-b's change
                EventStreamTests.WsClient wsClient = new EventStreamTests.WsClient();
                java.net.http.WebSocket ws = a.http.newWebSocketBuilder().buildAsync(java.net.URI.create(
                        a.base.replace("http:", "ws:") + "/api/v1/fleet/events/ws"), wsClient).join();
                assertThat(wsClient.next().getString("type")).isEqualTo("snapshot");
                TestService.Session again = b.openForMinutes("Again on B");
                assertThat(b.acquire(again, "sim-1").status()).isEqualTo(200);
                io.vertx.core.json.JsonObject overWs = wsClient.next();
                while (!overWs.getString("type").equals("lock")) {
                    overWs = wsClient.next();
                }
                assertThat(overWs.getString("node")).isEqualTo("node-b");
                assertThat(overWs.getJsonObject("recorder").getString("id")).isEqualTo("sim-1");
                assertThat(b.release(again, "sim-1").status()).isEqualTo(200);
                ws.abort();
                // a web page of another site cannot open it
                assertThat(a.http.newWebSocketBuilder().header("Origin", "https://evil.example").buildAsync(
                        java.net.URI.create(a.base.replace("http:", "ws:") + "/api/v1/fleet/events/ws"),
                        new EventStreamTests.WsClient()).handle((opened, failed) -> failed).join())
                        .as("a cross-site WebSocket handshake").isNotNull().hasStackTraceContaining("status code 403");

                // a change on node-a itself is in its own stream too
                TestService.Session local = a.openForMinutes("Local on A");
                assertThat(a.acquire(local, "sim-1").status()).isEqualTo(200);
                sse.awaitFrame(seen, f -> f.event().equals("lock") && f.data().getString("node").equals("node-a")
                        && lock(f).getString("state").equals("held"));
                assertThat(a.release(local, "sim-1").status()).isEqualTo(200);

                c.close();
                started.remove(c);
                Frame gone = sse.awaitFrame(seen, f -> f.event().equals("unreachable"));
                assertThat(gone.data().getString("node")).isEqualTo("node-c");
                assertThat(gone.data().getString("reason")).isNotBlank();

                // the CLI: `watch --fleet` prints the fleet view first, one recorder a line
                CliRun watch = CliRun.against(a.base, "watch", "--fleet", "--count", "1");
                assertThat(watch.exitCode()).as(watch.err()).isZero();
                assertThat(watch.out().lines().filter(l -> l.contains("node-c/")))
                        .allSatisfy(l -> assertThat(l).contains("unreachable; last free")).hasSize(2);
                assertThat(watch.out().lines().filter(l -> l.contains("node-a/") || l.contains("node-b/")))
                        .allSatisfy(l -> assertThat(l).contains("now").endsWith("free")).hasSize(4);
                assertThat(CliRun.against(a.base, "watch", "--fleet", "--recorder", "sim-0").exitCode())
                        .isEqualTo(io.discagent.service.problem.ExitCode.USAGE.code());

                // each node's sequence never goes down (one incarnation each here)
                Map<String, Long> last = new HashMap<>();
                seen.addAll(sse.pending());
                for (Frame f : seen) {
                    String node = f.data().getString("node");
                    long sequence = f.data().getLong("sequence");
                    assertThat(sequence).as("%s after %s", f, last.get(node))
                            .isGreaterThanOrEqualTo(last.getOrDefault(node, 0L));
                    last.put(node, sequence);
                }
            }
        } finally {
            started.forEach(TestService::close);
        }
    }

    private static io.vertx.core.json.JsonObject lock(Frame f) {
        return f.data().getJsonObject("recorder").getJsonObject("lock");
    }

}
