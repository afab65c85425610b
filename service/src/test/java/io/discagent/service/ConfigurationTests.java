package io.discagent.service;

import static org.assertj.core.api.Assertions.assertThat;

import io.discagent.service.problem.ExitCode;
import io.discagent.service.cli.Main;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The configuration file and the environment, as {@code discagent} reads them: an option on the command line wins over
 * its variable, which wins over the file, which wins over the default; client commands read {@code url=} too; a typo
 * in the file is refused; and the log options and the access log reach the log.
 */
class ConfigurationTests {

    private static final Duration LIMIT = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    private static CliRun run(Map<String, String> environment, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.execute(Main.commandLine(new PrintWriter(out, true), new PrintWriter(err, true)), environment,
                args);
        return new CliRun(code, out.toString(), err.toString());
    }

    private static String servedAt(CliRun run) {
        assertThat(run.exitCode()).as(run.err()).isZero();
        return run.out().lines().findFirst().orElseThrow();
    }

    @Test
    void anOptionWinsOverItsVariableWhichWinsOverTheFileWhichWinsOverTheDefault() throws IOException {
        int fromFile = freePort();
        int fromVariable = freePort();
        int fromOption = freePort();
        Path file = Files.writeString(dir.resolve("discagent.properties"), "# a comment\nport=" + fromFile
                + "\nbackend=simulated\nsession-ttl=10s\n");
        Map<String, String> fileOnly = Map.of("DISCAGENT_CONFIG", file.toString());
        Map<String, String> both = Map.of("DISCAGENT_CONFIG", file.toString(), "DISCAGENT_PORT",
                String.valueOf(fromVariable));
        assertThat(servedAt(run(fileOnly, "serve", "--exit-when-ready"))).endsWith(":" + fromFile);
        assertThat(servedAt(run(both, "serve", "--exit-when-ready"))).endsWith(":" + fromVariable);
        assertThat(servedAt(run(both, "serve", "--exit-when-ready", "--port", String.valueOf(fromOption))))
                .endsWith(":" + fromOption);
        assertThat(servedAt(run(Map.of(), "serve", "--exit-when-ready", "--config", file.toString())))
                .endsWith(":" + fromFile);
        // the help shows what the file and the variables make of a default
        CliRun help = run(both, "serve", "--help");
        assertThat(help.out()).contains("Default " + fromVariable + ".").contains("Default 10s.");
    }

    @Test
    void aBadValueFromTheFileOrTheEnvironmentIsAUsageErrorNamingTheOption() throws IOException {
        Path file = Files.writeString(dir.resolve("bad.properties"), "max-wait=soon\n");
        CliRun badFile = run(Map.of("DISCAGENT_CONFIG", file.toString()), "serve", "--exit-when-ready");
        assertThat(badFile.exitCode()).isEqualTo(ExitCode.USAGE.code());
        assertThat(badFile.err()).contains("--max-wait").contains("'soon' is not a duration");
        CliRun badVariable = run(Map.of("DISCAGENT_SESSION_TTL", "0"), "serve", "--exit-when-ready", "--port", "0",
                "--backend", "simulated");
        assertThat(badVariable.exitCode()).isEqualTo(ExitCode.USAGE.code());
        assertThat(badVariable.err()).contains("--session-ttl must be positive: 0");

        Path typo = Files.writeString(dir.resolve("typo.properties"), "max-wiat=1h\n");
        CliRun unknown = run(Map.of("DISCAGENT_CONFIG", typo.toString()), "serve", "--exit-when-ready");
        assertThat(unknown.exitCode()).isEqualTo(ExitCode.USAGE.code());
        assertThat(unknown.err()).contains("unknown key max-wiat in " + typo).contains("max-wait");
    }

    @Test
    void aNamedFileThatIsMissingStopsEveryCommand() {
        try (CliProcess missing = CliProcess.start(Map.of("DISCAGENT_CONFIG", dir.resolve("nope").toString()),
                "list")) {
            assertThat(missing.exitStatus(LIMIT)).isEqualTo(ExitCode.USAGE.code());
            assertThat(missing.err()).contains("the configuration file " + dir.resolve("nope") + " does not exist");
        }
    }

    @Test
    void clientCommandsReadTheUrlAndTheAccessTokenAndMapsTakePairs() throws IOException {
        try (TestService t = TestService.start(c -> c.accessToken("open-sesame"))) {
            Path file = Files.writeString(dir.resolve("client.properties"), "url=" + t.base
                    + "\naccess-token=open-sesame\n");
            CliRun list = run(Map.of("DISCAGENT_CONFIG", file.toString()), "list");
            assertThat(list.exitCode()).as(list.err()).isZero();
            assertThat(list.out()).contains("sim-0");
            CliRun wrongToken = run(Map.of("DISCAGENT_CONFIG", file.toString(), "DISCAGENT_ACCESS_TOKEN", "guess"),
                    "list");
            assertThat(wrongToken.exitCode()).isEqualTo(ExitCode.DENIED.code());
        }
        Path file = Files.writeString(dir.resolve("sim.properties"), "backend=simulated\nport=0\n"
                + "backend-property=simulated.recorders=3;linux.devices=/dev/loop7,/dev/loop8\n");
        var cl = Main.commandLine(new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()));
        cl.setDefaultValueProvider(null);
        assertThat(Main.execute(cl, Map.of("DISCAGENT_CONFIG", file.toString()), "serve", "--exit-when-ready"))
                .isZero();
        Object value = cl.getSubcommands().get("serve").getCommandSpec().findOption("--backend-property").getValue();
        assertThat(value).isEqualTo(Map.of("simulated.recorders", "3", "linux.devices", "/dev/loop7,/dev/loop8"));
    }

    @Test
    void theLogOptionsAndTheAccessLogReachTheLog() throws Exception {
        int port = freePort();
        try (CliProcess serve = CliProcess.start(Map.of("DISCAGENT_LOG_FORMAT", "json"), "serve", "--backend",
                "simulated", "--port", String.valueOf(port), "--access-log")) {
            TestService.eventually(() -> serve.out().contains("Ctrl-C"));
            CliRun list = CliRun.of("list", "--url", "http://127.0.0.1:" + port);
            assertThat(list.exitCode()).isZero();
            java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(
                    "http://127.0.0.1:" + port + "/api/v1/openapi.json?access_token=secret")).build(),
                    java.net.http.HttpResponse.BodyHandlers.discarding());
            TestService.eventually(() -> serve.err().contains("/api/v1/recorders")
                    && serve.err().contains("/api/v1/openapi.json"));
            JsonObject line = serve.err().lines().filter(l -> l.contains("\"path\":\"/api/v1/recorders\""))
                    .map(JsonObject::new).findFirst().orElseThrow();
            assertThat(line.getString("logger")).isEqualTo("io.discagent.service.access");
            assertThat(line.getString("method")).isEqualTo("GET");
            assertThat(line.getInteger("status")).isEqualTo(200);
            assertThat(line.getString("remote")).isEqualTo("127.0.0.1");
            assertThat(serve.err()).doesNotContain("secret");
            serve.err().lines().forEach(l -> assertThat(new JsonObject(l)).isNotNull()); // every line is JSON
        }
    }
}
