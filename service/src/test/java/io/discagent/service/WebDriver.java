package io.discagent.service;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * Headless Chromium driven by ChromeDriver over the W3C WebDriver protocol (plain HTTP, so no driver library and no
 * browser download): Debian's {@code chromium} and {@code chromium-driver} packages are all it needs.
 */
final class WebDriver implements AutoCloseable {

    private static final Duration WAIT = Duration.ofSeconds(30);

    private final Process driver;
    private final Path profile;
    private final HttpClient http = HttpClient.newHttpClient();
    private final String base;
    private final String session;

    /** The binaries, if both are installed ({@code CHROMIUM_BIN} / {@code CHROMEDRIVER_BIN} override the PATH). */
    static Optional<String[]> binaries() {
        Optional<String> chromium = find("CHROMIUM_BIN", "chromium", "chromium-browser");
        Optional<String> chromedriver = find("CHROMEDRIVER_BIN", "chromedriver");
        if (chromium.isEmpty() || chromedriver.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new String[] {chromium.get(), chromedriver.get()});
    }

    private static Optional<String> find(String env, String... names) {
        String given = System.getenv(env);
        if (given != null && new File(given).canExecute()) {
            return Optional.of(given);
        }
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(File.pathSeparator)) {
            for (String name : names) {
                File candidate = new File(dir, name);
                if (candidate.canExecute()) {
                    return Optional.of(candidate.getAbsolutePath());
                }
            }
        }
        return Optional.empty();
    }

    WebDriver(String chromium, String chromedriver) throws IOException, InterruptedException {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        profile = Files.createTempDirectory("discagent-chromium-");
        driver = new ProcessBuilder(chromedriver, "--port=" + port, "--allowed-ips=127.0.0.1")
                .redirectErrorStream(true).redirectOutput(profile.resolve("chromedriver.log").toFile()).start();
        base = "http://127.0.0.1:" + port;
        awaitReady();
        JsonObject options = new JsonObject()
                .put("binary", chromium)
                .put("args", new JsonArray().add("--headless").add("--no-sandbox").add("--disable-gpu")
                        .add("--disable-background-networking").add("--disable-component-update")
                        .add("--disable-sync").add("--no-first-run").add("--disable-dev-shm-usage")
                        .add("--window-size=1100,700").add("--user-data-dir=" + profile.resolve("profile")));
        JsonObject created = call("POST", "/session", new JsonObject().put("capabilities", new JsonObject()
                .put("alwaysMatch", new JsonObject().put("browserName", "chrome")
                        .put("goog:chromeOptions", options))));
        session = created.getJsonObject("value").getString("sessionId");
    }

    private void awaitReady() throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            try {
                JsonObject status = call("GET", "/status", null);
                if (status.getJsonObject("value").getBoolean("ready", false)) {
                    return;
                }
            } catch (RuntimeException notYet) {
                // chromedriver is still starting
            }
            if (!driver.isAlive()) {
                throw new IllegalStateException("chromedriver exited with " + driver.exitValue());
            }
            Thread.onSpinWait();
        }
        throw new IllegalStateException("chromedriver did not become ready within " + WAIT);
    }

    private JsonObject call(String method, String path, JsonObject body) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path)).timeout(WAIT)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body.encode()))
                .header("Content-Type", "application/json");
        try {
            HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
            JsonObject json = new JsonObject(response.body());
            if (response.statusCode() >= 400) {
                throw new IllegalStateException("WebDriver " + method + " " + path + ": " + response.body());
            }
            return json;
        } catch (IOException e) {
            throw new IllegalStateException("WebDriver " + method + " " + path + " failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    void open(String url) {
        call("POST", "/session/" + session + "/url", new JsonObject().put("url", url));
    }

    /** Runs {@code script} in the page and returns its value. */
    Object script(String script) {
        return call("POST", "/session/" + session + "/execute/sync",
                new JsonObject().put("script", script).put("args", new JsonArray())).getValue("value");
    }

    /** Polls {@code script} until its value passes {@code test}; returns that value. */
    Object await(String script, Predicate<Object> test) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        Object value = null;
        while (System.nanoTime() < deadline) {
            value = script(script);
            if (test.test(value)) {
                return value;
            }
            Thread.onSpinWait();
        }
        throw new AssertionError("the page did not get there within " + WAIT + "; last value: " + value);
    }

    /**
     * Sizes the window so that the page's viewport ({@code innerWidth} x {@code innerHeight}) is exactly
     * {@code width} x {@code height}, as on a kiosk panel of that size.
     */
    void viewport(int width, int height) {
        int w = width;
        int h = height;
        for (int attempt = 0; attempt < 3; attempt++) {
            call("POST", "/session/" + session + "/window/rect", new JsonObject().put("width", w).put("height", h));
            JsonArray inner = (JsonArray) script("return [window.innerWidth, window.innerHeight]");
            int innerWidth = ((Number) inner.getValue(0)).intValue();
            int innerHeight = ((Number) inner.getValue(1)).intValue();
            if (innerWidth == width && innerHeight == height) {
                return;
            }
            w += width - innerWidth;
            h += height - innerHeight;
        }
        throw new IllegalStateException("the viewport could not be made " + width + "x" + height + ": "
                + script("return [window.innerWidth, window.innerHeight]"));
    }

    /** A PNG screenshot of the page. */
    byte[] screenshot() {
        return Base64.getDecoder().decode(call("GET", "/session/" + session + "/screenshot", null)
                .getString("value"));
    }

    @Override
    public void close() {
        try {
            call("DELETE", "/session/" + session, null);
        } catch (RuntimeException e) {
            // the driver goes anyway
        }
        driver.destroy();
        try {
            if (!driver.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
                driver.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
