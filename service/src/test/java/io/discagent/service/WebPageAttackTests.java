package io.discagent.service;

import static org.assertj.core.api.Assertions.assertThat;

import io.discagent.service.TestService.Session;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What a web page on this machine's browser can do to the service: nothing. DNS rebinding (a foreign name in
 * {@code Host}), cross-site requests and WebSocket hijacking (a foreign or {@code null} {@code Origin}), and
 * "simple" cross-site writes (forms, multipart, text/plain, bodiless posts) are all refused before anything happens.
 * Every request here is raw HTTP on loopback, as a browser would send it.
 */
class WebPageAttackTests {

    private static final String SESSION = "{\"clientName\":\"Web page\"}";

    private static String get(String path, String host, String... headers) {
        return request("GET", path, host, null, null, headers);
    }

    /** A raw request with {@code Connection: close}; {@code contentType} and {@code body} may be {@code null}. */
    private static String request(String method, String path, String host, String contentType, String body,
            String... headers) {
        StringBuilder r = new StringBuilder(method + " " + path + " HTTP/1.1\r\nHost: " + host + "\r\n");
        for (int i = 0; i + 1 < headers.length; i += 2) {
            r.append(headers[i]).append(": ").append(headers[i + 1]).append("\r\n");
        }
        if (contentType != null) {
            r.append("Content-Type: ").append(contentType).append("\r\n");
        }
        if (body != null || !method.equals("GET")) {
            r.append("Content-Length: ").append(body == null ? 0 : body.length()).append("\r\n");
        }
        return r.append("Connection: close\r\n\r\n").append(body == null ? "" : body).toString();
    }

    private static int status(String answer) {
        assertThat(answer).as("an HTTP answer").startsWith("HTTP/1.");
        return Integer.parseInt(answer.substring(9, 12));
    }

    private static String exchange(TestService t, String request) {
        try {
            return RawHttp.exchange(t.service.port(), request);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static void refused(TestService t, int expected, String request) {
        String answer = exchange(t, request);
        assertThat(status(answer)).as(answer).isEqualTo(expected);
        assertThat(answer).contains("application/problem+json");
    }

    private static int sessionsOpen(TestService t) {
        for (String line : t.service.metrics().scrape().split("\n")) {
            if (line.startsWith("discagent_sessions_open")) {
                return (int) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        throw new AssertionError("no discagent_sessions_open metric");
    }

    @Test
    void rebindingHostNamesAreRefusedAndLoopbackNamesServed() {
        try (TestService t = TestService.start(c -> c.allowedHosts("kiosk.lan"))) {
            for (String host : List.of("127.0.0.1.rebind.attacker.example", "localhost.attacker.example",
                    "127.0.0.1.nip.io", "attacker.example", "127.0.0.1.", "0127.0.0.1", "127.0.0.256", "127.1",
                    "127.0.0.01", "[::2]", "localhostx", "10.0.0.1", "kiosk.lan.attacker.example",
                    "xn--localhost", "localhost.")) {
                refused(t, 403, get("/api/v1/recorders", host + ":" + t.service.port()));
                refused(t, 403, get("/api/v1/recorders", host));
            }
            for (String host : List.of("127.0.0.1", "127.1.2.3", "localhost", "LOCALHOST", "kiosk.localhost",
                    "a.b.localhost", "[::1]", "[0:0:0:0:0:0:0:1]", "kiosk.lan", "Kiosk.LAN")) {
                assertThat(status(exchange(t, get("/api/v1/recorders", host + ":" + t.service.port()))))
                        .as(host).isEqualTo(200);
                assertThat(status(exchange(t, get("/api/v1/recorders", host)))).as(host + " without a port")
                        .isEqualTo(200);
            }
        }
    }

    @Test
    void aMissingOrMalformedHostIs400NotAnInternalError() {
        try (TestService t = TestService.start()) {
            String[] requests = {
                "GET /api/v1/recorders HTTP/1.1\r\nConnection: close\r\n\r\n",
                "GET /api/v1/recorders HTTP/1.0\r\n\r\n",
                "GET /api/v1/recorders HTTP/1.1\r\nHost: [::1\r\nConnection: close\r\n\r\n",
                "GET /api/v1/recorders HTTP/1.1\r\nHost: a b\r\nConnection: close\r\n\r\n",
                "GET /api/v1/recorders HTTP/1.1\r\nHost: localhost:99999\r\nConnection: close\r\n\r\n",
                // IPv4 inside an IPv6 literal: valid in URIs, refused by Vert.x's parser (a 400, not a 500)
                "GET /api/v1/recorders HTTP/1.1\r\nHost: [::ffff:127.0.0.1]\r\nConnection: close\r\n\r\n",
                "POST /api/v1/sessions HTTP/1.1\r\nHost: [::1\r\nContent-Type: application/json\r\n"
                        + "Content-Length: " + SESSION.length() + "\r\nConnection: close\r\n\r\n" + SESSION};
            for (String request : requests) {
                String answer = exchange(t, request);
                assertThat(status(answer)).as(request + " -> " + answer).isEqualTo(400);
            }
            // an empty Host is valid HTTP (a request without an authority), and names nothing here
            refused(t, 403, "GET /api/v1/recorders HTTP/1.1\r\nHost: \r\nConnection: close\r\n\r\n");
            assertThat(sessionsOpen(t)).isZero();
        }
    }

    @Test
    void foreignAndNullOriginsCannotWriteNorStream() {
        try (TestService t = TestService.start()) {
            String host = "127.0.0.1:" + t.service.port();
            for (String origin : List.of("http://evil.example", "null", "http://127.0.0.1.rebind.attacker.example:"
                    + t.service.port(), "http://127.0.0.1:" + (t.service.port() + 1), "http://localhost:"
                    + t.service.port(), "file://", "not an origin", "http://127.0.0.1:" + t.service.port() + "/x")) {
                refused(t, 403, request("POST", "/api/v1/sessions", host, "application/json", SESSION,
                        "Origin", origin));
                refused(t, 403, get("/api/v1/events", host, "Origin", origin));
                refused(t, 403, get("/api/v1/events/ws", host, "Origin", origin, "Upgrade", "websocket",
                        "Connection", "Upgrade", "Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==",
                        "Sec-WebSocket-Version", "13"));
                refused(t, 403, get("/api/v1/recorders", host, "Origin", origin));
            }
            assertThat(sessionsOpen(t)).isZero();
            assertThat(t.service.metrics().scrape()).contains("discagent_stream_clients 0.0");

            // the status page's own origin, in either scheme (a TLS proxy in front), and no Origin at all
            for (String own : List.of("http://" + host, "https://" + host, "HTTP://127.0.0.1:" + t.service.port())) {
                assertThat(status(exchange(t, request("POST", "/api/v1/sessions", host, "application/json",
                        SESSION, "Origin", own)))).as(own).isEqualTo(201);
            }
            assertThat(status(exchange(t, request("POST", "/api/v1/sessions", "localhost", "application/json",
                    SESSION, "Origin", "http://localhost")))).isEqualTo(201);
            assertThat(status(exchange(t, request("POST", "/api/v1/sessions", host, "application/json",
                    SESSION)))).isEqualTo(201);
            assertThat(exchange(t, get("/api/v1/events/ws", host, "Origin", "http://" + host, "Upgrade",
                    "websocket", "Connection", "Upgrade", "Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==",
                    "Sec-WebSocket-Version", "13"))).startsWith("HTTP/1.1 101");
        }
    }

    @Test
    void anAllowedOriginMayCallTheApi() {
        try (TestService t = TestService.start(c -> c.allowedOrigins("http://kiosk.example:8080, https://ops"))) {
            String host = "127.0.0.1:" + t.service.port();
            for (String origin : List.of("http://kiosk.example:8080", "https://ops", "https://OPS:443")) {
                assertThat(status(exchange(t, request("POST", "/api/v1/sessions", host, "application/json",
                        SESSION, "Origin", origin)))).as(origin).isEqualTo(201);
            }
            refused(t, 403, request("POST", "/api/v1/sessions", host, "application/json", SESSION,
                    "Origin", "http://kiosk.example"));
            refused(t, 403, request("POST", "/api/v1/sessions", host, "application/json", SESSION,
                    "Origin", "http://ops"));
        }
    }

    @Test
    void noWriteCanBeASimpleCrossSiteRequest() {
        try (TestService t = TestService.start()) {
            Session holder = t.open("Holder");
            t.acquire(holder, "sim-0");
            String host = "127.0.0.1:" + t.service.port();
            String multipart = "--XX\r\nContent-Disposition: form-data; name=\"anything\"\r\n\r\n1\r\n--XX--\r\n";
            String token = "X-Session-Token";
            String beat = "/api/v1/sessions/" + holder.id() + "/heartbeat";
            String[] requests = {
                request("POST", "/api/v1/sim/recorders", host, "multipart/form-data; boundary=XX", multipart),
                request("POST", "/api/v1/sim/recorders", host, "application/x-www-form-urlencoded", "anything=1"),
                request("POST", "/api/v1/sim/recorders", host, "text/plain", "{}"),
                request("POST", "/api/v1/sim/recorders", host, null, null),
                request("POST", "/api/v1/sim/recorders", host, null, "{}"),
                request("POST", "/api/v1/sim/recorders/sim-0/release-hangs", host, null, null),
                request("POST", "/api/v1/sim/recorders/sim-0/release-hangs", host, "text/plain", ""),
                request("POST", "/api/v1/sessions", host, "text/plain", SESSION),
                request("POST", "/api/v1/sessions", host, "application/x-www-form-urlencoded", "clientName=A"),
                request("POST", "/api/v1/sessions", host, "application/x-www-form-urlencoded", "a=%zz&b=%"),
                request("POST", "/api/v1/sessions", host, "multipart/form-data; boundary=XX", multipart),
                request("POST", "/api/v1/sessions", host, "application/jsonx", SESSION),
                request("POST", "/api/v1/sessions", host, "", SESSION),
                request("POST", beat, host, null, null, token, holder.token()),
                request("POST", beat, host, "text/plain", null, token, holder.token()),
                request("DELETE", "/api/v1/sessions/" + holder.id(), host, null, null, token, holder.token()),
                request("POST", "/api/v1/recorders/sim-0/release", host, "text/plain",
                        "{\"sessionId\":\"" + holder.id() + "\"}", token, holder.token())};
            for (String r : requests) {
                refused(t, 415, r);
            }
            assertThat(t.sim().recorders()).hasSize(2);
            assertThat(sessionsOpen(t)).isEqualTo(1);
            assertThat(t.lock("sim-0").getInteger("count")).isEqualTo(1);

            // with the JSON type, bodiless writes work (and take {} as well)
            assertThat(status(exchange(t, request("POST", beat, host, "application/json", null, token,
                    holder.token())))).isEqualTo(200);
            assertThat(status(exchange(t, request("POST", beat, host, "application/json; charset=utf-8", "{}",
                    token, holder.token())))).isEqualTo(200);
            refused(t, 400, request("POST", beat, host, "application/json", "{\"x\":1}", token, holder.token()));
            assertThat(status(exchange(t, request("DELETE", "/api/v1/sessions/" + holder.id(), host,
                    "application/json", null, token, holder.token())))).isEqualTo(204);
            assertThat(t.lock("sim-0").getString("state")).isEqualTo("free");
        }
    }

    @Test
    void malformedEscapesAndChunkSizesAre400AndChangeNothing() {
        try (TestService t = TestService.start()) {
            String host = "127.0.0.1:" + t.service.port();
            for (String path : List.of("/api/v1/recorders/%zz", "/api/v1/recorders/%", "/api/v1/recorders/%e2%82",
                    "/api/v1/events?recorder=%zz", "/api/v1/events?since=%", "/api/v1/events/ws?recorder=%g0",
                    "/api/v1/recorders?x=%zz", "/%zz", "/api/v1/sessions/%zz")) {
                String answer = exchange(t, get(path, host));
                assertThat(status(answer)).as(path + " -> " + answer).isBetween(400, 404);
            }
            for (String chunked : List.of("zz\r\n{}\r\n0\r\n\r\n", "-1\r\n{}\r\n0\r\n\r\n",
                    "ffffffffffffffffff\r\n{}\r\n0\r\n\r\n", "2;\r\n{}\r\n0\r\n\r\n", "1\r\n{}\r\n0\r\n\r\n")) {
                String answer = exchange(t, "POST /api/v1/sessions HTTP/1.1\r\nHost: " + host
                        + "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close"
                        + "\r\n\r\n" + chunked);
                assertThat(answer).as(chunked).doesNotStartWith("HTTP/1.1 2").doesNotStartWith("HTTP/1.1 5");
                if (!answer.isEmpty()) {
                    assertThat(status(answer)).as(answer).isBetween(400, 499);
                }
            }
            String valid = "{\"clientName\":\"Chunked\"}";
            String answer = exchange(t, "POST /api/v1/sessions HTTP/1.1\r\nHost: " + host
                    + "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                    + Integer.toHexString(valid.length()) + "\r\n" + valid + "\r\n0\r\n\r\n");
            assertThat(status(answer)).as(answer).isEqualTo(201);
            assertThat(sessionsOpen(t)).isEqualTo(1);
            JsonObject problem = t.post("/api/v1/sessions", null).json();
            assertThat(problem.getInteger("status")).isEqualTo(400);
        }
    }
}
