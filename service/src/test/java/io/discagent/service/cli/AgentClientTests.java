package io.discagent.service.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** The CLI's HTTP client: every write says it is JSON, even without a body; problems speak the command's words. */
class AgentClientTests {

    @Test
    void everyWriteCarriesContentTypeJsonAndReadsDoNot() throws IOException {
        List<String> seen = new CopyOnWriteArrayList<>();
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", exchange -> {
            seen.add(exchange.getRequestMethod() + " " + exchange.getRequestHeaders().getFirst("Content-Type"));
            exchange.sendResponseHeaders(204, -1);
            exchange.close();
        });
        server.start();
        try {
            AgentClient client = new AgentClient("http://127.0.0.1:" + server.getAddress().getPort(), null);
            client.call("POST", "/api/v1/sessions/s-1/heartbeat", null);
            client.call("DELETE", "/api/v1/sessions/s-1", null);
            client.call("POST", "/api/v1/sessions", new JsonObject().put("clientName", "x"));
            client.call("GET", "/api/v1/recorders", null);
        } finally {
            server.stop(0);
        }
        assertThat(seen).containsExactly("POST application/json", "DELETE application/json", "POST application/json",
                "GET null");
    }

    @Test
    void theServicesFieldNamesAndMillisecondsBecomeTheOptionsAndDurationsTyped() {
        Map<String, String> words = Map.of("waitMillis", "--wait", "ttlMillis", "--ttl");
        assertThat(UserWords.translate("'waitMillis': 7200000 is greater than 3600000", words))
                .isEqualTo("--wait: 2h is greater than 1h");
        assertThat(UserWords.translate("'ttlMillis': 500 is less than 1000", words))
                .isEqualTo("--ttl: 500ms is less than 1s");
        assertThat(UserWords.translate("sessionTtl must be positive: PT0S", Map.of("sessionTtl", "--session-ttl")))
                .isEqualTo("--session-ttl must be positive: 0");
        assertThat(UserWords.translate("recorder sim-0 is held by 'Kiosk 2'", words))
                .isEqualTo("recorder sim-0 is held by 'Kiosk 2'"); // no field named: numbers stay numbers
    }
}
