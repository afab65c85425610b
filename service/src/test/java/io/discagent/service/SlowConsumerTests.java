package io.discagent.service;

import static org.assertj.core.api.Assertions.assertThat;

import io.discagent.api.RecorderId;
import io.discagent.service.EventStreamTests.WsClient;
import io.discagent.service.SseClient.Frame;
import io.discagent.service.TestService.Session;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.junit.jupiter.api.Test;

/**
 * Event-stream clients that fall behind are cut off and disconnected within the documented bound, while the others
 * keep receiving every event in order; many clients each receive every event exactly once. Real sockets that stop
 * reading, events of 64 KiB (a tray-unlock naming a long culprit) so that their buffers fill quickly, and real, short
 * stall timeouts.
 */
class SlowConsumerTests {

    private static final Duration STALL = Duration.ofMillis(500);
    /** The stall check runs every quarter of the timeout; the rest is slack for a loaded machine. */
    private static final long CUT_OFF_BOUND_MILLIS = STALL.toMillis() + STALL.toMillis() / 4 + 2000;
    private static final String LONG_CULPRIT = "x".repeat(64 * 1024);
    private static final int MAX_EVENTS = 600;

    /** An SSE request on a raw socket with a small receive buffer; the test never reads from it (until it says so). */
    private static Socket stalledSse(TestService t) throws IOException {
        Socket socket = new Socket();
        socket.setReceiveBufferSize(4096);
        socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), t.service.port()));
        socket.getOutputStream().write(("GET /api/v1/events HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream"
                + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
        socket.getOutputStream().flush();
        return socket;
    }

    private static int streamClients(TestService t) {
        String scrape = t.service.metrics().scrape();
        for (String line : scrape.split("\n")) {
            if (line.startsWith("discagent_stream_clients ")) {
                return (int) Double.parseDouble(line.substring(line.indexOf(' ') + 1));
            }
        }
        throw new AssertionError("no discagent_stream_clients in " + scrape);
    }

    /**
     * Makes big events on sim-0 (held by the test) until the streams have {@code clientsLeft} clients, each after
     * {@code reader} received the one before (so the feed is never swamped); returns how many it made.
     */
    private static int bigEventsUntil(TestService t, int clientsLeft, Runnable reader) {
        int made = 0;
        while (streamClients(t) > clientsLeft) {
            assertThat(made).as("events made while a client never read").isLessThan(MAX_EVENTS);
            t.sim().unlockTrayExternally(RecorderId.of("sim-0"), LONG_CULPRIT);
            made++;
            reader.run();
        }
        return made;
    }

    /** Reads until the server closes the connection, failing if it is still open after {@code boundMillis}. */
    private static String readUntilClosed(Socket socket, long boundMillis) throws IOException {
        socket.setSoTimeout((int) boundMillis);
        InputStream in = socket.getInputStream();
        StringBuilder tail = new StringBuilder();
        byte[] buffer = new byte[65536];
        try {
            for (int n; (n = in.read(buffer)) > 0; ) {
                tail.append(new String(buffer, 0, n, StandardCharsets.ISO_8859_1));
                if (tail.length() > 4096) {
                    tail.delete(0, tail.length() - 4096);
                }
            }
        } catch (SocketTimeoutException e) {
            throw new AssertionError("the server kept the cut-off connection open; the last it sent: " + tail);
        } catch (IOException reset) {
            // closed by a reset: closed all the same
        }
        return tail.toString();
    }

    @Test
    void aStalledSseClientIsCutOffWithinTheStallTimeoutAndTheOthersMissNothing() throws Exception {
        try (TestService t = TestService.start(c -> c.streamStallTimeout(STALL));
                SseClient reader = SseClient.connect(t.http, t.base + "/api/v1/events");
                Socket stalled = stalledSse(t)) {
            reader.next(2);
            TestService.eventually(() -> streamClients(t) == 2);
            Session a = t.open("Kiosk A");
            t.acquire(a, "sim-0");
            long first = Long.parseLong(reader.next().id());

            long[] seen = {first};
            long start = System.nanoTime();
            int made = bigEventsUntil(t, 1, () -> {
                Frame frame = reader.next();
                assertThat(frame.event()).isEqualTo("tray-unlocked");
                assertThat(Long.parseLong(frame.id())).isEqualTo(++seen[0]);
            });
            long cutOffAt = System.nanoTime();
            System.out.printf("SSE client that never read: cut off after %d events of 64 KiB, %d ms%n", made,
                    (cutOffAt - start) / 1_000_000);
            // its TCP connection is closed within the grace of a second after it was cut off
            Thread.sleep(1500);
            readUntilClosed(stalled, 3000);
            assertThat((System.nanoTime() - cutOffAt) / 1_000_000).isLessThan(1500 + 3000 + 500);

            // the reader is still served
            t.release(a, "sim-0");
            assertThat(reader.next().cause()).isEqualTo("RELEASED");
            assertThat(streamClients(t)).isEqualTo(1);
        }
    }

    @Test
    void aClientIsCutOffOnceItIsFurtherBehindThanTheKeptEventsAndToldWhyWhenItReads() throws Exception {
        try (TestService t = TestService.start(c -> c.streamStallTimeout(Duration.ofMinutes(5)).replayEvents(8));
                Socket stalled = stalledSse(t)) {
            TestService.eventually(() -> streamClients(t) == 1);
            Session a = t.open("Kiosk A");
            t.acquire(a, "sim-0");
            long start = System.nanoTime();
            bigEventsUntil(t, 0, () -> { });
            // well before the five minutes of the stall timeout
            assertThat((System.nanoTime() - start) / 1_000_000).isLessThan(CUT_OFF_BOUND_MILLIS * 10);
            readUntilClosed(stalled, 5000);
        }
    }

    @Test
    void aWebSocketThatStopsReadingIsCutOffAndClosed() throws Exception {
        try (TestService t = TestService.start(c -> c.streamStallTimeout(STALL));
                SseClient reader = SseClient.connect(t.http, t.base + "/api/v1/events")) {
            reader.next(2);
            CompletableFuture<String> ended = new CompletableFuture<>();
            WebSocket.Listener neverReads = new WebSocket.Listener() {
                @Override
                public void onOpen(WebSocket webSocket) {
                    // requests nothing: the client's socket buffers fill and TCP pushes back
                }

                @Override
                public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
                    ended.complete(statusCode + " " + reason);
                    return null;
                }

                @Override
                public void onError(WebSocket webSocket, Throwable error) {
                    ended.complete("error " + error);
                }

                @Override
                public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
                    webSocket.request(1);
                    return null;
                }
            };
            WebSocket ws = t.http.newWebSocketBuilder()
                    .buildAsync(URI.create(t.base.replace("http:", "ws:") + "/api/v1/events/ws"), neverReads).join();
            TestService.eventually(() -> streamClients(t) == 2);
            Session a = t.open("Kiosk A");
            t.acquire(a, "sim-0");
            reader.next();
            bigEventsUntil(t, 1, reader::next);
            ws.request(Long.MAX_VALUE); // now it reads: what it still gets ends in a close or a closed connection
            assertThat(ended.get(CUT_OFF_BOUND_MILLIS + 5000, java.util.concurrent.TimeUnit.MILLISECONDS))
                    .isNotEmpty();
        }
    }

    @Test
    void manyClientsEachReceiveEveryEventInOrder() throws Exception {
        int sseClients = 100;
        int wsClients = 50;
        int rounds = 100;
        try (TestService t = TestService.start()) {
            List<SseClient> sse = new ArrayList<>();
            List<WsClient> ws = new ArrayList<>();
            List<WebSocket> sockets = new ArrayList<>();
            try {
                for (int i = 0; i < sseClients; i++) {
                    SseClient client = SseClient.connect(t.http, t.base + "/api/v1/events");
                    sse.add(client);
                    client.next(2);
                }
                for (int i = 0; i < wsClients; i++) {
                    WsClient client = new WsClient();
                    sockets.add(t.http.newWebSocketBuilder().buildAsync(
                            URI.create(t.base.replace("http:", "ws:") + "/api/v1/events/ws"), client).join());
                    ws.add(client);
                    client.next();
                    client.next();
                }
                assertThat(streamClients(t)).isEqualTo(sseClients + wsClients);
                Session a = t.open("Kiosk A");
                for (int i = 0; i < rounds; i++) {
                    assertThat(t.acquire(a, "sim-0").status()).isEqualTo(200);
                    assertThat(t.release(a, "sim-0").status()).isEqualTo(200);
                }
                Long first = null;
                for (SseClient client : sse) {
                    List<Frame> frames = client.next(2 * rounds);
                    long start = Long.parseLong(frames.get(0).id());
                    if (first == null) {
                        first = start;
                    }
                    assertThat(start).isEqualTo(first);
                    for (int i = 0; i < frames.size(); i++) {
                        assertThat(Long.parseLong(frames.get(i).id())).isEqualTo(first + i);
                        assertThat(frames.get(i).cause()).isEqualTo(i % 2 == 0 ? "ACQUIRED" : "RELEASED");
                    }
                    assertThat(client.pending()).isEmpty();
                }
                for (WsClient client : ws) {
                    for (int i = 0; i < 2 * rounds; i++) {
                        JsonObject message = client.next();
                        assertThat(message.getLong("sequence")).isEqualTo(first + i);
                    }
                    assertThat(client.messages).isEmpty();
                }
                assertThat(streamClients(t)).isEqualTo(sseClients + wsClients);
            } finally {
                sse.forEach(SseClient::close);
                sockets.forEach(WebSocket::abort);
            }
        }
    }
}
