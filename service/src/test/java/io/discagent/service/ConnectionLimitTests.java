package io.discagent.service;

import static org.assertj.core.api.Assertions.assertThat;

import io.discagent.service.EventStreamTests.WsClient;
import io.discagent.service.TestService.Session;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * Connections cannot be hoarded: a connection that sends nothing, trickles its headers, idles between requests or
 * never finishes its body is closed after its (configurable) timeout, and connections beyond the cap are closed at
 * once. Responses under way (a waiting acquire, an event stream, a WebSocket) are never timed. Real sockets and
 * real, short timeouts: these are Vert.x timers, not the service's scheduler.
 */
class ConnectionLimitTests {

    private static final Duration SHORT = Duration.ofMillis(300);
    /** The sweep runs every quarter of the shortest timeout; the rest is slack for a loaded machine. */
    private static final long BOUND_MILLIS = SHORT.toMillis() + SHORT.toMillis() / 4 + 1500;

    private static TestService shortTimeouts() {
        return TestService.start(c -> c.headerTimeout(SHORT).idleTimeout(SHORT).requestTimeout(SHORT));
    }

    private static Socket connect(TestService t) throws IOException {
        Socket socket = new Socket(InetAddress.getLoopbackAddress(), t.service.port());
        socket.setSoTimeout((int) BOUND_MILLIS * 2);
        return socket;
    }

    /** Reads until the server closes; returns what it sent and how long that took, failing past the bound. */
    private static String readUntilClosed(Socket socket, long startNanos) throws IOException {
        InputStream in = socket.getInputStream();
        StringBuilder answer = new StringBuilder();
        byte[] buffer = new byte[4096];
        try {
            for (int n; (n = in.read(buffer)) > 0; ) {
                answer.append(new String(buffer, 0, n, StandardCharsets.ISO_8859_1));
            }
        } catch (SocketTimeoutException e) {
            throw new AssertionError("the server kept the connection open; it sent: " + answer);
        } catch (IOException reset) {
            // closed by a reset: closed all the same
        }
        long millis = (System.nanoTime() - startNanos) / 1_000_000;
        assertThat(millis).as("closed after %d ms", millis).isLessThan(BOUND_MILLIS);
        return answer.toString();
    }

    private static void send(Socket socket, String text) throws IOException {
        OutputStream out = socket.getOutputStream();
        out.write(text.getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
    }

    @Test
    void connectionsThatSendNothingOrTrickleTheirHeadersAreClosed() throws Exception {
        try (TestService t = shortTimeouts()) {
            long start = System.nanoTime();
            List<Socket> silent = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                silent.add(connect(t));
            }
            for (Socket socket : silent) {
                assertThat(readUntilClosed(socket, start)).isEmpty();
                socket.close();
            }
            try (Socket slow = connect(t)) {
                long begin = System.nanoTime();
                CompletableFuture<Void> trickle = CompletableFuture.runAsync(() -> {
                    try {
                        for (char c : "GET /health HTTP/1.1\r\nHost: localhost\r\nX-Slow: ".toCharArray()) {
                            send(slow, String.valueOf(c));
                            Thread.sleep(50);
                        }
                    } catch (IOException | InterruptedException e) {
                        // the server closed the connection, as it should
                    }
                });
                assertThat(readUntilClosed(slow, begin)).isEmpty();
                trickle.join();
            }
        }
    }

    @Test
    void anIdleKeepAliveConnectionIsClosedAndABodyThatNeverEndsIs408() throws Exception {
        try (TestService t = shortTimeouts()) {
            try (Socket socket = connect(t)) {
                send(socket, "GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n");
                long start = System.nanoTime();
                String answer = readUntilClosed(socket, start);
                assertThat(answer).startsWith("HTTP/1.1 200").contains("\"status\":\"UP\"");
                assertThat((System.nanoTime() - start) / 1_000_000).isGreaterThanOrEqualTo(SHORT.toMillis() / 2);
            }
            try (Socket socket = connect(t)) {
                send(socket, "POST /api/v1/sessions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                        + "Content-Length: 40\r\n\r\n{\"clientName\"");
                String answer = readUntilClosed(socket, System.nanoTime());
                assertThat(answer).startsWith("HTTP/1.1 408").contains("urn:discagent:problem:request-timeout");
            }
            assertThat(t.service.metrics().scrape()).contains("discagent_sessions_open 0.0");
        }
    }

    @Test
    void responsesUnderWayAreNotTimed() throws Exception {
        try (TestService t = shortTimeouts()) {
            Session holder = t.open("Holder");
            Session waiter = t.open("Waiter");
            t.acquire(holder, "sim-0");
            CompletableFuture<TestService.Reply> waiting = CompletableFuture.supplyAsync(() -> t.acquire(waiter,
                    "sim-0", new JsonObject().put("waitMillis", 10_000)));
            try (SseClient sse = SseClient.connect(t.http, t.base + "/api/v1/events")) {
                WsClient ws = new WsClient();
                WebSocket socket = t.http.newWebSocketBuilder()
                        .buildAsync(URI.create(t.base.replace("http:", "ws:") + "/api/v1/events/ws"), ws).join();
                sse.next(2);
                ws.next();
                ws.next();
                Thread.sleep(SHORT.toMillis() * 5); // well past every timeout, with sweeps in between
                t.release(holder, "sim-0");
                assertThat(waiting.join().status()).isEqualTo(200);
                assertThat(sse.next().cause()).isEqualTo("RELEASED");
                assertThat(ws.next().getString("cause")).isEqualTo("RELEASED");
                socket.sendClose(WebSocket.NORMAL_CLOSURE, "bye").join();
            }
        }
    }

    @Test
    void connectionsBeyondTheCapAreClosedAtOnceAndClosedOnesMakeRoom() throws Exception {
        try (TestService t = TestService.start(c -> c.maxConnections(20))) {
            // WebSockets that come and go do not use up the cap
            for (int i = 0; i < 30; i++) {
                WsClient client = new WsClient();
                WebSocket ws = t.http.newWebSocketBuilder()
                        .buildAsync(URI.create(t.base.replace("http:", "ws:") + "/api/v1/events/ws"), client).join();
                client.next();
                ws.sendClose(WebSocket.NORMAL_CLOSURE, "bye").join();
                ws.abort();
            }
            TestService.eventually(() -> t.get("/health").status() == 200);
            List<Socket> held = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                held.add(connect(t));
            }
            int closedAtOnce = 0;
            for (Socket socket : held) {
                socket.setSoTimeout(300);
                try {
                    if (socket.getInputStream().read() < 0) {
                        closedAtOnce++;
                    }
                } catch (SocketTimeoutException stillOpen) {
                    // one of the connections within the cap
                } catch (IOException reset) {
                    closedAtOnce++;
                }
            }
            // the test's own HTTP client may hold a pooled connection or two
            assertThat(closedAtOnce).isBetween(20, 22);
            for (Socket socket : held) {
                socket.close();
            }
            TestService.eventually(() -> {
                try (Socket fresh = connect(t)) {
                    send(fresh, "GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
                    return new String(fresh.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1)
                            .startsWith("HTTP/1.1 200");
                } catch (IOException e) {
                    return false;
                }
            });
        }
    }
}
