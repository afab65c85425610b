package io.discagent.service;

import static org.assertj.core.api.Assertions.assertThat;

import io.discagent.service.TestService.Session;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Ten thousand malformed or hostile requests over raw sockets: each has at least one defect that must get it refused
 * (a foreign, missing or malformed {@code Host}; a foreign or {@code null} {@code Origin}; a write that is not JSON;
 * broken chunked framing or a bad {@code Content-Length}; a garbled request line; a body that is not valid JSON for
 * its endpoint), often several, plus noise (bad percent-escapes, odd methods and paths). None may get a 5xx, no write
 * may succeed, and afterwards nothing has changed: no session, no lock, no simulated recorder added or removed. The
 * one 5xx allowed is Vert.x's own 501 to a request line naming an HTTP version it does not speak (HTTP/9.9).
 */
class MalformedRequestFuzzTests {

    private static final int REQUESTS = 10_000;
    private static final int THREADS = 4;

    private static final String[] PATHS = {"/api/v1/sessions", "/api/v1/recorders/sim-0/acquire",
        "/api/v1/recorders/sim-1/release", "/api/v1/sim/recorders", "/api/v1/sim/recorders/sim-0/faults",
        "/api/v1/sim/recorders/sim-0/release-hangs", "/api/v1/sim/recorders/sim-1/external-lock",
        "/api/v1/sessions/{sid}/heartbeat", "/api/v1/sessions/{sid}", "/api/v1/recorders", "/api/v1/events",
        "/api/v1/events/ws", "/health", "/metrics", "/"};
    private static final String[] NOISY_PATHS = {"/api/v1/recorders/%zz", "/api/v1/recorders/%", "/api/v1/%e2%82",
        "/api/v1/sessions?x=%zz", "/api/v1/events?since=%", "/api/v1/recorders/%00", "/api/v1/../api/v1/sessions",
        "/api/v1/recorders/" + "x".repeat(3000), "//api//v1//sessions", "/api/v1/sessions/%2e%2e"};
    private static final String[] METHODS = {"GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"};
    private static final String[] BAD_HOSTS = {"127.0.0.1.rebind.attacker.example", "[::1", "", "a b",
        "127.0.0.1:99999", "evil.example", "127.1", "0x7f.0.0.1", "localhost.attacker.example", "[::ffff:7f00:1"};
    private static final String[] BAD_ORIGINS = {"http://evil.example", "null", "http://127.0.0.1.evil.example",
        "file://", "http://localhost:1"};
    private static final String[] BAD_TYPES = {"text/plain", "multipart/form-data; boundary=x",
        "application/x-www-form-urlencoded", "application/jsonx", "json"};
    private static final String[] BAD_BODIES = {"{", "[1]", "{\"clientName\":5}", "{\"clientName\":\"F\"",
        "\u00ff\u00fe", "{\"sessionId\":\"s-1\",\"waitMillis\":-5}", "{\"kind\":\"hang\",\"times\":\"x\"}", "null",
        "{\"clientName\":\"F\",\"extra\":1}", "--x\r\nContent-Disposition: form-data; name=a\r\n\r\n1\r\n--x--"};
    private static final String[] GOOD_BODIES = {"{\"clientName\":\"Fuzz\"}", "{}", "{\"id\":\"fz\"}"};

    private enum Defect { HOST, ORIGIN, TYPE, FRAMING, REQUEST_LINE, BODY }

    @Test
    void tenThousandMalformedRequestsGetNo5xxAndChangeNothing() throws Exception {
        try (TestService t = TestService.start(c -> c.requestTimeout(Duration.ofSeconds(1))
                .headerTimeout(Duration.ofSeconds(1)))) {
            Session holder = t.open("Holder"); // a real session id for the paths; it must stay as it is
            String host = "127.0.0.1:" + t.service.port();
            Map<Integer, Integer> statuses = new ConcurrentHashMap<>();
            List<String> failures = Collections.synchronizedList(new ArrayList<>());
            AtomicInteger closedWithoutAnswer = new AtomicInteger();
            ExecutorService pool = Executors.newFixedThreadPool(THREADS);
            List<Future<?>> runs = new ArrayList<>();
            for (int thread = 0; thread < THREADS; thread++) {
                Random random = new Random(20261130L + thread);
                runs.add(pool.submit(() -> {
                    for (int i = 0; i < REQUESTS / THREADS; i++) {
                        String request = request(random, host, holder);
                        String answer;
                        try {
                            answer = RawHttp.exchange(t.service.port(), request);
                        } catch (IOException reset) {
                            answer = "";
                        }
                        if (answer.isEmpty()) {
                            closedWithoutAnswer.incrementAndGet();
                            continue;
                        }
                        int status = answer.matches("(?s)HTTP/\\d\\.\\d \\d{3}.*")
                                ? Integer.parseInt(answer.substring(9, 12)) : -1;
                        statuses.merge(status, 1, Integer::sum);
                        boolean write = !request.startsWith("GET ") && !request.startsWith("HEAD ")
                                && !request.startsWith("OPTIONS ");
                        // Vert.x answers an HTTP version it does not speak itself, before routing
                        boolean unsupportedVersion = status == 501 && request.contains(" HTTP/9.9\r\n");
                        if (!unsupportedVersion && (status < 100 || status >= 500 || (write && status < 300))) {
                            failures.add(status + " for:\n" + shorten(request) + "\n->\n" + shorten(answer));
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> run : runs) {
                run.get();
            }
            pool.shutdown();
            System.out.printf("%d malformed requests: statuses %s, %d closed without an answer%n", REQUESTS,
                    new TreeMap<>(statuses), closedWithoutAnswer.get());
            assertThat(failures).as("5xx, non-HTTP answers or writes that succeeded").isEmpty();
            assertThat(statuses.values().stream().mapToInt(Integer::intValue).sum())
                    .as("most requests are answered").isGreaterThan(REQUESTS / 2);

            // nothing changed: the one session, both recorders present and free, no simulated recorder added
            assertThat(t.service.metrics().scrape()).contains("discagent_sessions_open 1.0");
            assertThat(t.lock("sim-0").getString("state")).isEqualTo("free");
            assertThat(t.lock("sim-1").getString("state")).isEqualTo("free");
            assertThat(t.get("/api/v1/recorders").json().getJsonArray("recorders").size()).isEqualTo(2);
            assertThat(t.get("/api/v1/sessions/" + holder.id(), "X-Session-Token", holder.token()).status())
                    .isEqualTo(200);
        }
    }

    @Test
    void anAbsoluteFormTargetNamesTheServerInsteadOfHost() throws Exception {
        try (TestService t = TestService.start()) {
            String host = "127.0.0.1:" + t.service.port();
            String body = "{\"clientName\":\"Absolute\"}";
            String post = " HTTP/1.1\r\nHost: " + host + "\r\nContent-Type: application/json\r\nConnection: close\r\n"
                    + "Content-Length: " + body.length() + "\r\n\r\n" + body;
            assertThat(RawHttp.exchange(t.service.port(), "POST http://evil.example/api/v1/sessions" + post))
                    .startsWith("HTTP/1.1 403");
            assertThat(RawHttp.exchange(t.service.port(), "POST ftp://" + host + "/api/v1/sessions" + post))
                    .startsWith("HTTP/1.1 400");
            assertThat(t.service.metrics().scrape()).contains("discagent_sessions_open 0.0");
            assertThat(RawHttp.exchange(t.service.port(), "POST http://" + host + "/api/v1/sessions" + post))
                    .startsWith("HTTP/1.1 201");
        }
    }

    /** A request with at least one defect that must get it refused. */
    private static String request(Random random, String host, Session holder) {
        List<Defect> defects = new ArrayList<>();
        Defect[] all = Defect.values();
        int count = 1 + random.nextInt(3);
        while (defects.size() < count) {
            Defect d = all[random.nextInt(all.length)];
            if (!defects.contains(d)) {
                defects.add(d);
            }
        }
        String method = METHODS[random.nextInt(METHODS.length)];
        if (defects.contains(Defect.TYPE) || defects.contains(Defect.FRAMING) || defects.contains(Defect.BODY)) {
            method = random.nextBoolean() ? "POST" : random.nextBoolean() ? "PUT" : "DELETE"; // a write
        }
        String path = random.nextInt(4) == 0 ? NOISY_PATHS[random.nextInt(NOISY_PATHS.length)]
                : PATHS[random.nextInt(PATHS.length)].replace("{sid}", holder.id());
        StringBuilder r = new StringBuilder();
        if (defects.contains(Defect.REQUEST_LINE)) {
            r.append(switch (random.nextInt(5)) {
                case 0 -> method + " " + path + " HTTP/9.9";
                case 1 -> method + "  " + path + " HTTP/1.1 x";
                case 2 -> method + " " + path.replace("/", "/ /") + " HTTP/1.1";
                case 3 -> "\u0001" + method + " " + path + " HTTP/1.1";
                default -> method + " http://evil.example" + path + " HTTP/1.1";
            });
        } else {
            r.append(method).append(' ').append(path).append(" HTTP/1.1");
        }
        r.append("\r\n");
        if (defects.contains(Defect.HOST)) {
            int pick = random.nextInt(BAD_HOSTS.length + 1);
            if (pick < BAD_HOSTS.length) {
                r.append("Host: ").append(BAD_HOSTS[pick]).append("\r\n");
            } // else: no Host at all
        } else {
            r.append("Host: ").append(host).append("\r\n");
        }
        if (defects.contains(Defect.ORIGIN)) {
            r.append("Origin: ").append(BAD_ORIGINS[random.nextInt(BAD_ORIGINS.length)]).append("\r\n");
        }
        if (defects.contains(Defect.TYPE)) {
            if (random.nextInt(4) > 0) {
                r.append("Content-Type: ").append(BAD_TYPES[random.nextInt(BAD_TYPES.length)]).append("\r\n");
            }
        } else {
            r.append("Content-Type: application/json\r\n");
        }
        r.append("X-Session-Token: ").append(random.nextBoolean() ? holder.token() : "wrong").append("\r\n");
        r.append("Connection: close\r\n");
        String body = defects.contains(Defect.BODY) ? BAD_BODIES[random.nextInt(BAD_BODIES.length)]
                : random.nextBoolean() ? GOOD_BODIES[random.nextInt(GOOD_BODIES.length)] : "";
        if (defects.contains(Defect.FRAMING)) {
            switch (random.nextInt(6)) {
                case 0 -> r.append("Content-Length: abc\r\n\r\n").append(body);
                case 1 -> r.append("Content-Length: -1\r\n\r\n").append(body);
                case 2 -> r.append("Content-Length: ").append(body.length())
                        .append("\r\nTransfer-Encoding: chunked\r\n\r\n").append(body);
                case 3 -> r.append("Transfer-Encoding: chunked\r\n\r\nzz\r\n").append(body).append("\r\n0\r\n\r\n");
                case 4 -> r.append("Transfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\n").append(body)
                        .append("\r\n0\r\n\r\n");
                default -> r.append("Transfer-Encoding: gzip, chunked\r\n\r\n1\r\n").append(body)
                        .append("x\r\n0\r\n\r\n");
            }
        } else {
            r.append("Content-Length: ").append(body.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1).length)
                    .append("\r\n\r\n").append(body);
        }
        return r.toString();
    }

    private static String shorten(String text) {
        return text.length() > 600 ? text.substring(0, 600) + "..." : text;
    }
}
