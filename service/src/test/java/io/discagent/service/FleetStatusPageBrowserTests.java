package io.discagent.service;

import static io.discagent.service.FleetSupport.freePorts;
import static io.discagent.service.FleetSupport.reachable;
import static io.discagent.service.FleetSupport.secret;
import static io.discagent.service.StatusPageBrowserTest.assertReadable;
import static io.discagent.service.StatusPageBrowserTest.await;
import static io.discagent.service.StatusPageBrowserTest.awaitTold;
import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The status page's fleet mode ({@code /#fleet}) in a real browser: every recorder of both nodes as {@code node/id},
 * a lock taken on the other node shown with its owner, and that node's recorders shown unreachable, readable, when it
 * goes. Skipped, saying so, without {@code chromium} and {@code chromedriver}.
 */
class FleetStatusPageBrowserTests {

    @Test
    void theFleetModeShowsEveryNodesRecordersAndWhichNodeIsGone() throws Exception {
        Optional<String[]> binaries = WebDriver.binaries();
        Assumptions.assumeTrue(binaries.isPresent(),
                "SKIPPED: chromium and chromedriver are not installed (apt-get install -y chromium chromium-driver)");
        int[] ports = freePorts(2);
        byte[] secret = secret();
        List<TestService> started = new ArrayList<>();
        try (WebDriver browser = new WebDriver(binaries.get()[0], binaries.get()[1])) {
            TestService a = FleetSupport.member("node-a", ports, 0, secret, c -> { });
            started.add(a);
            TestService b = FleetSupport.member("node-b", ports, 1, secret, c -> { });
            started.add(b);
            for (TestService t : started) {
                FleetSupport.awaitView(t, v -> reachable(v).size() == 2 && v.recorders().size() == 4);
            }
            browser.viewport(800, 480);
            browser.open(a.base + "/#fleet");
            for (String id : List.of("node-a/sim-0", "node-a/sim-1", "node-b/sim-0", "node-b/sim-1")) {
                await(browser, id, "free");
            }
            browser.await("return document.getElementById('connection').textContent", "live"::equals);

            TestService.Session burner = b.openForMinutes("Burner on B");
            assertThat(b.acquire(burner, "sim-1").status()).isEqualTo(200);
            JsonObject held = await(browser, "node-b/sim-1", "held");
            assertThat(held.getValue("owner")).isEqualTo("Burner on B");
            awaitTold(browser, "node-b/sim-1: Burner on B (1)");
            assertReadable(browser, "held on another node");

            b.close();
            started.remove(b);
            JsonObject gone = await(browser, "node-b/sim-1", "unreachable");
            assertThat(gone.getValue("shown")).isEqualTo("unreachable");
            assertThat(gone.getValue("owner")).isEqualTo("Burner on B"); // its last known state
            assertThat(await(browser, "node-a/sim-0", "free")).isNotNull();
            assertReadable(browser, "a node unreachable");
        } finally {
            started.forEach(TestService::close);
        }
    }
}
