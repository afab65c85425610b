package io.discagent.service;

import static org.assertj.core.api.Assertions.assertThat;

import io.discagent.agent.backend.simulated.SimulatedDisc;
import io.discagent.api.MediaProfile;
import io.discagent.api.RecorderId;
import io.discagent.service.TestService.Session;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The kiosk status page in a real browser (headless Chromium from Debian's packages, driven by ChromeDriver), on an
 * 800x480 kiosk panel: three recorders fit, more scroll; a recorder goes held and free as a test client acquires and
 * releases it, shows a holder outside the agent by name, and stays in place marked removed when it goes; a burn shows
 * its progress (and then how it ended) on its recorder's card; every change is announced through an {@code aria-live}
 * region; and every piece of text on the page has a contrast of at least 4.5:1 (WCAG AA), measured from the colours
 * the browser computed, in every state. Skipped, saying so, when
 * {@code chromium} or {@code chromedriver} is not installed ({@code apt-get install chromium chromium-driver}).
 */
class StatusPageBrowserTest {

    private static final int WIDTH = 800;
    private static final int HEIGHT = 480;

    /** One card as the page shows it. */
    static String card(String id) {
        return "var r = document.querySelector('[data-recorder=\"" + id + "\"]');"
                + "if (!r) { return null; } var b = r.getBoundingClientRect();"
                + "return {state: r.dataset.state, owner: r.querySelector('.owner').textContent,"
                + " count: r.querySelector('.count').textContent, shown: r.querySelector('.state').textContent,"
                + " name: r.querySelector('.name').textContent, left: b.left, top: b.top, right: b.right,"
                + " bottom: b.bottom};";
    }

    /** Every visible piece of text (and the {@code ::before} glyphs) with its colour and the background behind it. */
    private static final String TEXT_COLOURS = """
            function background(e) {
              for (; e; e = e.parentElement) {
                var c = getComputedStyle(e).backgroundColor;
                if (c !== 'transparent' && !/^rgba\\(.*,\\s*0\\)$/.test(c)) { return c; }
              }
              return 'rgb(255, 255, 255)';
            }
            var out = [];
            document.querySelectorAll('body *').forEach(function (e) {
              var box = e.getBoundingClientRect();
              if (!box.width || !box.height || e.closest('.visually-hidden')) { return; }
              var text = Array.prototype.filter.call(e.childNodes, function (n) {
                return n.nodeType === 3 && n.textContent.trim();
              }).map(function (n) { return n.textContent.trim(); }).join(' ');
              if (text) { out.push([e.tagName.toLowerCase() + '.' + e.className + ' "' + text.slice(0, 40) + '"',
                  getComputedStyle(e).color, background(e)]); }
              var before = getComputedStyle(e, '::before');
              if (before.content && before.content !== 'none' && before.content !== 'normal') {
                out.push([e.tagName.toLowerCase() + '#' + e.id + '::before', before.color, background(e)]);
              }
            });
            return out;
            """;

    private static final Pattern RGB = Pattern.compile("rgba?\\((\\d+),\\s*(\\d+),\\s*(\\d+)(?:,\\s*([\\d.]+))?\\)");

    @Test
    void theKioskPageAt800x480() throws Exception {
        Optional<String[]> binaries = WebDriver.binaries();
        Assumptions.assumeTrue(binaries.isPresent(),
                "SKIPPED: chromium and chromedriver are not installed (apt-get install -y chromium chromium-driver)");
        try (TestService t = TestService.start(c -> c.agent(a -> a.backendProperty("simulated.recorders", "3")));
                WebDriver browser = new WebDriver(binaries.get()[0], binaries.get()[1])) {
            browser.viewport(WIDTH, HEIGHT);
            browser.open(t.base + "/");
            JsonObject free = (JsonObject) browser.await(card("sim-0"), v -> v instanceof JsonObject o
                    && "free".equals(o.getValue("state")) && !"".equals(o.getValue("name")));
            assertThat(free.getValue("name")).isEqualTo("DISCAGNT Virtual BD-RE 1.0");
            assertThat(free.getValue("owner")).isEqualTo("\u2014");
            browser.await("return document.getElementById('connection').textContent", "live"::equals);
            assertThat(((Number) browser.script("return document.querySelectorAll('.recorder').length")).intValue())
                    .isEqualTo(3);
            for (String id : new String[] {"sim-0", "sim-1", "sim-2"}) {
                assertFullyVisible(card(browser, id), id);
            }
            assertNoHorizontalScrolling(browser);
            Files.write(Path.of("target", "status-page-800x480.png"), browser.screenshot());
            assertReadable(browser, "free");
            assertThat(browser.script("var a = document.querySelector('[aria-live]');"
                    + "return a ? a.getAttribute('aria-live') + ' ' + a.getAttribute('role') : null"))
                    .isEqualTo("polite status");

            Session kiosk = t.open("Browser Kiosk");
            t.acquire(kiosk, "sim-0");
            t.acquire(kiosk, "sim-0");
            JsonObject held = (JsonObject) browser.await(card("sim-0"), v -> v instanceof JsonObject o
                    && "held".equals(o.getValue("state")) && "2".equals(o.getValue("count")));
            assertThat(held.getValue("owner")).isEqualTo("Browser Kiosk");
            assertThat(held.getValue("shown")).isEqualTo("held");
            awaitTold(browser, "sim-0: acquired \u2192 Browser Kiosk (2)");
            Files.write(Path.of("target", "status-page-held.png"), browser.screenshot());
            assertReadable(browser, "held");

            t.release(kiosk, "sim-0");
            t.release(kiosk, "sim-0");
            JsonObject freeAgain = await(browser, "sim-0", "free");
            assertThat(freeAgain.getValue("owner")).isEqualTo("\u2014");
            assertThat(freeAgain.getValue("count")).isEqualTo("0");
            awaitTold(browser, "sim-0: released \u2192 free");
            assertThat(String.valueOf(browser.script("return document.getElementById('log').textContent")))
                    .contains("sim-0: acquired", "sim-0: released");

            t.sim().lockExternally(RecorderId.of("sim-1"), "wodim (pid 4242)"); // seen within the 2 s refresh
            JsonObject external = await(browser, "sim-1", "external");
            assertThat(external.getValue("owner")).isEqualTo("wodim (pid 4242)");
            assertThat(external.getValue("shown")).isEqualTo("external");
            assertThat(external.getValue("count")).isEqualTo("\u2014");
            awaitTold(browser, "sim-1: taken outside the agent \u2192 wodim (pid 4242)");
            Files.write(Path.of("target", "status-page-external.png"), browser.screenshot());
            assertReadable(browser, "external");
            t.sim().unlockExternally(RecorderId.of("sim-1"));
            await(browser, "sim-1", "free");

            JsonObject before = card(browser, "sim-1");
            t.sim().removeRecorder(RecorderId.of("sim-2"));
            JsonObject removed = await(browser, "sim-2", "removed");
            assertThat(removed.getValue("shown")).isEqualTo("removed");
            awaitTold(browser, "sim-2: removed");
            assertThat(((Number) browser.script("return document.querySelectorAll('.recorder').length")).intValue())
                    .as("the removed recorder keeps its place").isEqualTo(3);
            assertThat(card(browser, "sim-1").getValue("left")).as("nothing moved").isEqualTo(before.getValue("left"));
            assertReadable(browser, "removed");
            t.sim().addRecorder("sim-2");
            await(browser, "sim-2", "free");

            t.sim().addRecorder("sim-3");
            t.sim().addRecorder("sim-4");
            await(browser, "sim-4", "free");
            JsonObject first = card(browser, "sim-0");
            JsonObject third = card(browser, "sim-2");
            JsonObject fourth = card(browser, "sim-3");
            assertThat(third.getValue("top")).as("three cards in a row").isEqualTo(first.getValue("top"));
            assertThat(num(fourth, "top")).as("the fourth wraps").isGreaterThan(num(first, "bottom"));
            assertNoHorizontalScrolling(browser);
            assertThat(((Number) browser.script("return document.scrollingElement.scrollHeight")).intValue())
                    .as("more cards scroll").isGreaterThan(HEIGHT);
            browser.script("document.querySelector('[data-recorder=\"sim-4\"]').scrollIntoView(); return null");
            assertFullyVisible(card(browser, "sim-4"), "sim-4 scrolled into view");
            Files.write(Path.of("target", "status-page-5-recorders.png"), browser.screenshot());
        }
    }

    @Test
    void aBurnShowsItsProgressOnItsRecordersCard(@TempDir Path temp) throws Exception {
        Optional<String[]> binaries = WebDriver.binaries();
        Assumptions.assumeTrue(binaries.isPresent(),
                "SKIPPED: chromium and chromedriver are not installed (apt-get install -y chromium chromium-driver)");
        Path images = Files.createDirectories(temp.resolve("images"));
        Files.write(images.resolve("disc.iso"), new byte[512 * 2048]);
        try (TestService t = TestService.start(c -> c.burnDirectory(images.toString())
                        .agent(a -> a.backendProperty("simulated.discDirectory", temp.toString())));
                WebDriver browser = new WebDriver(binaries.get()[0], binaries.get()[1])) {
            RecorderId sim0 = RecorderId.of("sim-0");
            t.sim().insertDisc(sim0, SimulatedDisc.blank(MediaProfile.DVD_PLUS_R));
            t.sim().setBurnSpeed(sim0, 128 * 1024); // 8 s of writing
            browser.viewport(WIDTH, HEIGHT);
            browser.open(t.base + "/");
            await(browser, "sim-0", "free");
            assertThat(browser.script(BURN.formatted("sim-0"))).as("no burn shown before one starts")
                    .isEqualTo(new JsonObject().put("shown", false).put("text", "").put("bar", false));

            Session kiosk = t.openForMinutes("Burn Kiosk"); // its lease must not end the burn on a slow machine
            t.acquire(kiosk, "sim-0");
            TestService.Reply started = t.post("/api/v1/recorders/sim-0/burns", new JsonObject()
                    .put("sessionId", kiosk.id()).put("image", "disc.iso"), "X-Session-Token", kiosk.token());
            assertThat(started.status()).as(started.body()).isEqualTo(202);
            JsonObject writing = (JsonObject) browser.await(BURN.formatted("sim-0"), v -> v instanceof JsonObject o
                    && String.valueOf(o.getValue("text")).startsWith("writing ")
                    && !String.valueOf(o.getValue("text")).startsWith("writing 0%"));
            assertThat(writing.getValue("bar")).isEqualTo(true);
            assertThat(String.valueOf(writing.getValue("text"))).matches("writing \\d+%, 0\\.1 MB/s, \\d+:\\d\\d left");
            awaitTold(browser, "sim-0: Burn Kiosk burns disc.iso");
            Files.write(Path.of("target", "status-page-burning.png"), browser.screenshot());
            assertReadable(browser, "burning");

            JsonObject done = (JsonObject) browser.await(BURN.formatted("sim-0"), v -> v instanceof JsonObject o
                    && String.valueOf(o.getValue("text")).startsWith("succeeded"));
            assertThat(done.getValue("bar")).as("the bar goes once the burn ended").isEqualTo(false);
            awaitTold(browser, "sim-0: burn of Burn Kiosk succeeded");
            assertReadable(browser, "burned");
        }
    }

    /** The burn line of a card: whether it is shown, its text, whether the progress bar is. */
    private static final String BURN = "var r = document.querySelector('[data-recorder=\"%s\"]');"
            + "var d = r.querySelector('.burn'); var b = r.querySelector('progress');"
            + "return {shown: !d.hidden, text: d.textContent, bar: !b.hidden};";

    @Test
    void theContrastMeasureRejectsTheOldFreeBadge() {
        // The badge's text on the old green (#e8edf2 on #1f8a4c): 3.72:1, below WCAG AA's 4.5:1.
        assertThat(contrast("rgb(232, 237, 242)", "rgb(31, 138, 76)")).isBetween(3.71, 3.73);
        assertThat(contrast("rgb(0, 0, 0)", "rgb(255, 255, 255)")).isEqualTo(21.0);
    }

    /**
     * Waits until the page told {@code text}: the live region says it, or said it and it is in the activity log (two
     * changes in one moment, such as a burn's end and its release, leave only the second in the live region).
     */
    static void awaitTold(WebDriver browser, String text) {
        browser.await(TOLD, v -> v instanceof String told && told.lines().anyMatch(text::equals));
    }

    /** The live region's text, then every entry of the activity log without its time, one a line. */
    private static final String TOLD = "var told = [document.querySelector('[aria-live]').textContent];"
            + "document.querySelectorAll('#log li').forEach(function (li) {"
            + " told.push(li.textContent.replace(/^.*?  /, '')); });"
            + "return told.join('\\n');";

    static JsonObject await(WebDriver browser, String id, String state) {
        return (JsonObject) browser.await(card(id), v -> v instanceof JsonObject o && state.equals(o.getValue("state")));
    }

    private static JsonObject card(WebDriver browser, String id) {
        return (JsonObject) browser.script(card(id));
    }

    private static double num(JsonObject card, String key) {
        return ((Number) card.getValue(key)).doubleValue();
    }

    private static void assertFullyVisible(JsonObject card, String what) {
        assertThat(num(card, "left")).as(what).isGreaterThanOrEqualTo(0);
        assertThat(num(card, "top")).as(what).isGreaterThanOrEqualTo(0);
        assertThat(num(card, "right")).as(what).isLessThanOrEqualTo(WIDTH);
        assertThat(num(card, "bottom")).as(what).isLessThanOrEqualTo(HEIGHT);
    }

    private static void assertNoHorizontalScrolling(WebDriver browser) {
        assertThat(((Number) browser.script("return document.scrollingElement.scrollWidth")).intValue())
                .isLessThanOrEqualTo(WIDTH);
    }

    /** Every visible text has a contrast of at least 4.5:1 against what is behind it. */
    static void assertReadable(WebDriver browser, String state) {
        JsonArray texts = (JsonArray) browser.script(TEXT_COLOURS);
        assertThat(texts).as("texts on the page").isNotEmpty();
        for (Object item : texts) {
            JsonArray text = (JsonArray) item;
            double ratio = contrast(text.getString(1), text.getString(2));
            assertThat(ratio).as("contrast of %s (%s on %s) while %s", text.getString(0), text.getString(1),
                    text.getString(2), state).isGreaterThanOrEqualTo(4.5);
        }
    }

    /** The WCAG 2 contrast ratio of two opaque CSS colours ({@code rgb(r, g, b)}). */
    static double contrast(String foreground, String background) {
        double a = luminance(foreground);
        double b = luminance(background);
        return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    }

    private static double luminance(String colour) {
        Matcher m = RGB.matcher(colour);
        assertThat(m.matches()).as("a CSS colour: %s", colour).isTrue();
        assertThat(m.group(4) == null || Double.parseDouble(m.group(4)) == 1.0).as("opaque: %s", colour).isTrue();
        double[] channels = new double[3];
        for (int i = 0; i < 3; i++) {
            double c = Integer.parseInt(m.group(i + 1)) / 255.0;
            channels[i] = c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
        }
        return 0.2126 * channels[0] + 0.7152 * channels[1] + 0.0722 * channels[2];
    }
}
