package io.discagent.service;

import static org.assertj.core.api.Assertions.assertThat;

import io.discagent.service.TestService.Session;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The kiosk status page in a real browser (headless Chromium from Debian's packages, driven by ChromeDriver): it
 * shows a recorder going held, then free, as a test client acquires and releases it over the API. Skipped, saying
 * so, when {@code chromium} or {@code chromedriver} is not installed ({@code apt-get install chromium chromium-driver}).
 */
class StatusPageBrowserTest {

    private static final String ROW = "var r = document.querySelector('[data-recorder=\"sim-0\"]');"
            + "return r ? {state: r.dataset.state, owner: r.querySelector('.owner').textContent,"
            + " count: r.querySelector('.count').textContent, shown: r.querySelector('.state').textContent,"
            + " name: r.querySelector('.name').textContent} : null;";

    @Test
    void thePageFollowsARecorderFromFreeToHeldToFree() throws Exception {
        Optional<String[]> binaries = WebDriver.binaries();
        Assumptions.assumeTrue(binaries.isPresent(),
                "SKIPPED: chromium and chromedriver are not installed (apt-get install -y chromium chromium-driver)");
        try (TestService t = TestService.start();
                WebDriver browser = new WebDriver(binaries.get()[0], binaries.get()[1])) {
            browser.open(t.base + "/");
            JsonObject free = (JsonObject) browser.await(ROW, v -> v instanceof JsonObject
                    && "free".equals(((JsonObject) v).getValue("state"))
                    && !"".equals(((JsonObject) v).getValue("name")));
            assertThat(free.getValue("owner")).isEqualTo("\u2014");
            assertThat(free.getValue("name")).isEqualTo("DISCAGNT Virtual BD-RE 1.0");
            assertThat(((Number) browser.script("return document.querySelectorAll('.recorder').length")).intValue())
                    .isEqualTo(2);
            browser.await("return document.getElementById('connection').textContent", "live"::equals);

            Session kiosk = t.open("Browser Kiosk");
            t.acquire(kiosk, "sim-0");
            t.acquire(kiosk, "sim-0");
            JsonObject held = (JsonObject) browser.await(ROW, v -> v instanceof JsonObject
                    && "held".equals(((JsonObject) v).getValue("state")) && "2".equals(((JsonObject) v).getValue("count")));
            assertThat(held.getValue("owner")).isEqualTo("Browser Kiosk");
            assertThat(held.getValue("shown")).isEqualTo("held");
            Path shot = Path.of("target", "status-page-held.png");
            Files.write(shot, browser.screenshot());

            t.release(kiosk, "sim-0");
            t.release(kiosk, "sim-0");
            JsonObject freeAgain = (JsonObject) browser.await(ROW, v -> v instanceof JsonObject
                    && "free".equals(((JsonObject) v).getValue("state")));
            assertThat(freeAgain.getValue("owner")).isEqualTo("\u2014");
            assertThat(freeAgain.getValue("count")).isEqualTo("0");
            assertThat(String.valueOf(browser.script("return document.getElementById('log').textContent")))
                    .contains("sim-0: acquired", "sim-0: released");
        }
    }
}
