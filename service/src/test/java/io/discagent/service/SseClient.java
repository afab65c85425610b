package io.discagent.service;

import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/** A test client of the SSE stream: a reader thread parses frames into a queue. */
final class SseClient implements AutoCloseable {

    /** One SSE frame. */
    record Frame(@Nullable String id, String event, JsonObject data) {
        String recorder() {
            return data.getString("recorder");
        }

        String cause() {
            return data.getString("cause");
        }
    }

    final int status;
    private final InputStream body;
    private final BlockingQueue<Frame> frames = new LinkedBlockingQueue<>();
    private final Thread reader;

    private SseClient(HttpResponse<InputStream> response) {
        this.status = response.statusCode();
        this.body = response.body();
        this.reader = new Thread(this::read, "test-sse-reader");
        reader.setDaemon(true);
        reader.start();
    }

    static SseClient connect(HttpClient http, String url, String... headers) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).header("Accept", "text/event-stream");
        for (int i = 0; i + 1 < headers.length; i += 2) {
            request.header(headers[i], headers[i + 1]);
        }
        try {
            return new SseClient(http.send(request.build(), HttpResponse.BodyHandlers.ofInputStream()));
        } catch (IOException e) {
            throw new AssertionError(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    private void read() {
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8))) {
            String id = null;
            String event = "message";
            StringBuilder data = new StringBuilder();
            String line;
            while ((line = lines.readLine()) != null) {
                if (line.isEmpty()) {
                    if (data.length() > 0) {
                        frames.add(new Frame(id, event, new JsonObject(data.toString())));
                    }
                    id = null;
                    event = "message";
                    data.setLength(0);
                } else if (line.startsWith("id:")) {
                    id = line.substring(3).trim();
                } else if (line.startsWith("event:")) {
                    event = line.substring(6).trim();
                } else if (line.startsWith("data:")) {
                    data.append(line.substring(5).trim());
                }
            }
        } catch (IOException | RuntimeException e) {
            // closed
        }
    }

    /** The next frame, or an assertion failure after {@code wait}. */
    Frame next(Duration wait) {
        try {
            Frame frame = frames.poll(wait.toMillis(), TimeUnit.MILLISECONDS);
            if (frame == null) {
                throw new AssertionError("no SSE frame within " + wait);
            }
            return frame;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    Frame next() {
        return next(TestService.TIMEOUT);
    }

    List<Frame> next(int count) {
        List<Frame> list = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            list.add(next());
        }
        return list;
    }

    /** Reads frames (keeping each in {@code seen}) until one matches; a real, bounded wait of 30 s. */
    Frame awaitFrame(List<Frame> seen, java.util.function.Predicate<Frame> wanted) {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline) {
            Frame f = next(Duration.ofSeconds(30));
            seen.add(f);
            if (wanted.test(f)) {
                return f;
            }
        }
        throw new AssertionError("no such frame within 30 s; seen: " + seen);
    }

    /** Frames that arrived so far and were not taken. */
    List<Frame> pending() {
        List<Frame> list = new ArrayList<>();
        frames.drainTo(list);
        return list;
    }

    @Override
    public void close() {
        try {
            body.close();
        } catch (IOException e) {
            // closing anyway
        }
    }
}
