package io.discagent.service.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Windows service, as far as Linux allows: procrun's start and stop methods named by
 * {@code packaging/windows/install-service.cmd} exist with the signatures it calls, its parameters are a command line
 * discagent accepts with the packaged configuration, and {@link WindowsService#start} serves until
 * {@link WindowsService#stop} ends it (the way procrun's jvm mode calls them on two threads). The service itself needs
 * Windows.
 */
class WindowsServiceTests {

    private static final Duration LIMIT = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    private static Path repository(String path) {
        Path fromModule = Path.of("..", path);
        return Files.exists(fromModule) ? fromModule : Path.of(path);
    }

    private static String parameter(String script, String name) {
        Matcher m = Pattern.compile("--" + name + "=(\\S+)").matcher(script);
        assertThat(m.find()).as("--%s in install-service.cmd", name).isTrue();
        return m.group(1);
    }

    @Test
    void theInstallScriptNamesMethodsThatExistAndACommandLineThatParses() throws Exception {
        String script = Files.readString(repository("packaging/windows/install-service.cmd"));
        for (String[] entry : new String[][] {{"StartClass", "StartMethod"}, {"StopClass", "StopMethod"}}) {
            Class<?> type = Class.forName(parameter(script, entry[0]));
            Method method = type.getMethod(parameter(script, entry[1]), String[].class);
            assertThat(Modifier.isStatic(method.getModifiers()) && Modifier.isPublic(method.getModifiers()))
                    .as("%s.%s is public static", type.getSimpleName(), method.getName()).isTrue();
        }
        assertThat(parameter(script, "StartMode")).isEqualTo("jvm");
        assertThat(parameter(script, "StopMode")).isEqualTo("jvm");
        List<String> params = new ArrayList<>(Arrays.asList(parameter(script, "StartParams").split(";")));
        assertThat(params).containsExactly("serve", "--config", "%DATA%\\discagent.properties");
        params.set(2, repository("packaging/discagent.properties").toString());
        Main.commandLine(params.get(0)).parseArgs(params.toArray(new String[0])); // throws on anything it refuses
    }

    @Test
    void startServesUntilStopIsCalled() throws Exception {
        int port;
        try (ServerSocket free = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = free.getLocalPort();
        }
        Path config = Files.writeString(dir.resolve("discagent.properties"), Files.readString(repository(
                "packaging/discagent.properties")).replace("backend=linux", "backend=simulated")
                .replace("port=8731", "port=" + port));
        Thread service = new Thread(() -> WindowsService.start(new String[] {"serve", "--config", config.toString()}),
                "procrun-start");
        service.start();
        HttpClient http = HttpClient.newHttpClient();
        HttpRequest health = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health")).build();
        long deadline = System.nanoTime() + LIMIT.toNanos();
        while (true) {
            try {
                assertThat(http.send(health, HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
                break;
            } catch (ConnectException notYet) {
                assertThat(System.nanoTime()).as("the service answers within %s", LIMIT).isLessThan(deadline);
                Thread.onSpinWait();
            }
        }
        WindowsService.stop(new String[0]);
        service.join(LIMIT.toMillis());
        assertThat(service.isAlive()).as("start returned after stop").isFalse();
        try {
            http.send(health, HttpResponse.BodyHandlers.ofString());
            throw new AssertionError("the service still answers after stop");
        } catch (IOException closed) {
            // stopped
        }
    }
}
