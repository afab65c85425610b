package io.discagent.service;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.discagent.agent.backend.simulated.Simulator.Operation;
import io.discagent.api.RecorderId;
import io.discagent.api.error.HResult;
import io.discagent.service.TestService.Session;
import io.discagent.service.problem.ExitCode;
import java.io.IOException;
import java.lang.reflect.Method;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Every exit code of the {@code discagent} command, as docs/service.md states it ({@link ExitCode}): one test per code,
 * each with the client commands and {@code exec} (a process of its own) that end with it, and what they say. No
 * message speaks the API's or the code's names ({@code waitMillis}, {@code PT0S}): the user reads the options they
 * typed.
 */
class ExitCodeTests {

    private static final Duration LIMIT = Duration.ofSeconds(60);

    private static int exec(String... args) {
        return execRun(args).exitStatus(LIMIT);
    }

    private static CliProcess execRun(String... args) {
        String[] all = new String[args.length + 1];
        all[0] = "exec";
        System.arraycopy(args, 0, all, 1, args.length);
        return CliProcess.start(all);
    }

    private static void speaksTheUsersWords(CliRun run) {
        assertThat(run.err()).doesNotContainPattern("Millis|\\bPT\\d|'[a-z]+[A-Z]\\w*'");
    }

    @Test
    void everyExitCodeHasATestHere() {
        for (ExitCode code : ExitCode.values()) {
            assertThat(Arrays.stream(ExitCodeTests.class.getDeclaredMethods()).map(Method::getName))
                    .as("a test for exit code %d (%s)", code.code(), code.meaning())
                    .anyMatch(name -> name.matches("exit" + code.code() + "[A-Z].*"));
        }
    }

    @Test
    void exit0WhenItWorked() {
        try (TestService t = TestService.start()) {
            assertThat(CliRun.against(t.base, "list").exitCode()).isZero();
            assertThat(CliRun.against(t.base, "acquire", "sim-0", "--hold", "100ms").exitCode()).isZero();
            try (CliProcess exec = execRun("--url", t.base, "--recorder", "sim-0", "--", "true")) {
                assertThat(exec.exitStatus(LIMIT)).as(exec.err()).isZero();
            }
        }
    }

    @Test
    void exit1WhenTheAgentAnswersNonsenseOrThePortIsTaken() throws IOException {
        HttpServer notAnAgent = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        notAnAgent.createContext("/", exchange -> {
            byte[] body = "hello".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        notAnAgent.start();
        String url = "http://127.0.0.1:" + notAnAgent.getAddress().getPort();
        try {
            CliRun list = CliRun.against(url, "list");
            assertThat(list.exitCode()).isEqualTo(ExitCode.FAILURE.code());
            assertThat(list.err()).contains("not JSON");
            assertThat(exec("--url", url, "--", "true")).isEqualTo(ExitCode.FAILURE.code());
        } finally {
            notAnAgent.stop(0);
        }
        try (ServerSocket taken = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            CliRun serve = CliRun.of("serve", "--backend", "simulated", "--port", String.valueOf(taken.getLocalPort()));
            assertThat(serve.exitCode()).isEqualTo(ExitCode.FAILURE.code());
            assertThat(serve.err()).contains("port " + taken.getLocalPort() + " on 127.0.0.1 is already in use")
                    .contains("--port");
        }
    }

    @Test
    void exit2ForBadInputInTheUsersWords() {
        CliRun port = CliRun.of("serve", "--port", "70000");
        assertThat(port.exitCode()).isEqualTo(ExitCode.USAGE.code());
        assertThat(port.err()).contains("--port must be between 0 and 65535: 70000");
        CliRun backend = CliRun.of("serve", "--backend", "nope", "--port", "0", "--exit-when-ready");
        assertThat(backend.exitCode()).isEqualTo(ExitCode.USAGE.code());
        assertThat(backend.err()).contains("--backend must be one of auto, simulated").contains("nope");
        CliRun ttl = CliRun.of("serve", "--session-ttl", "0", "--port", "0");
        assertThat(ttl.exitCode()).isEqualTo(ExitCode.USAGE.code());
        assertThat(ttl.err()).contains("--session-ttl must be positive: 0");
        speaksTheUsersWords(ttl);
        assertThat(CliRun.of("serve", "--max-wait", "soon").exitCode()).isEqualTo(ExitCode.USAGE.code());
        assertThat(CliRun.of("acquire").exitCode()).isEqualTo(ExitCode.USAGE.code());
        assertThat(CliRun.of("frobnicate").exitCode()).isEqualTo(ExitCode.USAGE.code());
        try (TestService t = TestService.start()) {
            CliRun wait = CliRun.against(t.base, "acquire", "sim-0", "--wait", "2h");
            assertThat(wait.exitCode()).isEqualTo(ExitCode.USAGE.code());
            assertThat(wait.err()).contains("--wait", "2h", "1h");
            speaksTheUsersWords(wait);
            CliRun lease = CliRun.against(t.base, "acquire", "sim-0", "--ttl", "500ms");
            assertThat(lease.exitCode()).isEqualTo(ExitCode.USAGE.code());
            assertThat(lease.err()).contains("--ttl", "500ms", "1s");
            speaksTheUsersWords(lease);
            CliRun name = CliRun.against(t.base, "acquire", "sim-0", "--client-name", "bad/name");
            assertThat(name.exitCode()).isEqualTo(ExitCode.USAGE.code());
            assertThat(name.err()).contains("--client-name", "'bad/name' is not a valid client name");
            assertThat(exec("--url", t.base, "--client-name", "bad/name", "--", "true"))
                    .isEqualTo(ExitCode.USAGE.code());
            try (CliProcess tooLong = execRun("--url", t.base, "--recorder", "sim-0", "--wait", "2h", "--", "true")) {
                assertThat(tooLong.exitStatus(LIMIT)).isEqualTo(ExitCode.USAGE.code());
                assertThat(tooLong.err()).contains("--wait: 2h is greater than 1h").doesNotContain("Millis");
            }
            try (CliProcess several = execRun("--url", t.base, "--", "true")) {
                assertThat(several.exitStatus(LIMIT)).isEqualTo(ExitCode.USAGE.code());
                assertThat(several.err()).contains("several recorders [sim-0, sim-1]: choose one with --recorder");
            }
        }
    }

    @Test
    void exit3WhenTheAgentCannotBeReachedOrStopsAnswering() throws Exception {
        CliRun list = CliRun.of("list", "--url", "http://127.0.0.1:1");
        assertThat(list.exitCode()).isEqualTo(ExitCode.UNREACHABLE.code());
        assertThat(list.err()).contains("cannot reach the agent at http://127.0.0.1:1");
        assertThat(exec("--url", "http://127.0.0.1:1", "--", "true")).isEqualTo(ExitCode.UNREACHABLE.code());

        int port;
        try (ServerSocket free = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = free.getLocalPort();
        }
        String url = "http://127.0.0.1:" + port;
        try (CliProcess service = CliProcess.start("serve", "--backend", "simulated", "--port", String.valueOf(port))) {
            TestService.eventually(() -> service.out().contains("Ctrl-C"));
            try (CliProcess holding = CliProcess.start("acquire", "sim-0", "--url", url, "--ttl", "2s")) {
                TestService.eventually(() -> holding.out().contains("acquired sim-0"));
                service.signal("KILL"); // the service dies under the hold, without a word
                assertThat(holding.exitStatus(LIMIT)).as(holding.err()).isEqualTo(ExitCode.UNREACHABLE.code());
                assertThat(holding.err()).contains("lost sim-0: no heartbeat reached the service for");
            }
        }
    }

    @Test
    void exit4ForWhatDoesNotExistWithTheKnownRecorders() {
        try (TestService t = TestService.start()) {
            CliRun owner = CliRun.against(t.base, "owner", "sim-9");
            assertThat(owner.exitCode()).isEqualTo(ExitCode.NOT_FOUND.code());
            assertThat(owner.err()).contains("sim-9").contains("known recorders: sim-0, sim-1");
            CliRun watch = CliRun.against(t.base, "watch", "--recorder", "sim-9");
            assertThat(watch.exitCode()).isEqualTo(ExitCode.NOT_FOUND.code());
            assertThat(watch.err()).contains("known recorders: sim-0, sim-1");
            CliRun acquire = CliRun.against(t.base, "acquire", "sim-9");
            assertThat(acquire.exitCode()).isEqualTo(ExitCode.NOT_FOUND.code());
            assertThat(acquire.err()).contains("known recorders: sim-0, sim-1");
            try (CliProcess exec = execRun("--url", t.base, "--recorder", "sim-9", "--", "true")) {
                assertThat(exec.exitStatus(LIMIT)).isEqualTo(ExitCode.NOT_FOUND.code());
                assertThat(exec.err()).contains("known recorders: sim-0, sim-1");
            }
            try (CliProcess exec = execRun("--url", t.base, "--recorder", "sim-1", "--", "sleep", "600")) {
                TestService.eventually(() -> exec.descendant("sleep").isPresent());
                t.sim().removeRecorder(RecorderId.of("sim-1"));
                assertThat(exec.exitStatus(LIMIT)).isEqualTo(ExitCode.NOT_FOUND.code());
                assertThat(exec.err()).contains("sim-1 was removed while held");
            }
        }
    }

    @Test
    void exit5WhenTheRecorderIsBusy() {
        try (TestService t = TestService.start()) {
            Session holder = t.open("Kiosk A");
            t.acquire(holder, "sim-0");
            CliRun locked = CliRun.against(t.base, "acquire", "sim-0");
            assertThat(locked.exitCode()).isEqualTo(ExitCode.BUSY.code());
            assertThat(locked.err()).contains("E_IMAPI_RECORDER_LOCKED", "owner: Kiosk A");
            CliRun timedOut = CliRun.against(t.base, "acquire", "sim-0", "--wait", "300ms");
            assertThat(timedOut.exitCode()).isEqualTo(ExitCode.BUSY.code());
            assertThat(exec("--url", t.base, "--recorder", "sim-0", "--", "true")).isEqualTo(ExitCode.BUSY.code());
        }
    }

    @Test
    void exit6WhenTheTokenIsMissingOrWrong() {
        try (TestService t = TestService.start(c -> c.accessToken("open-sesame"))) {
            assertThat(CliRun.against(t.base, "list").exitCode()).isEqualTo(ExitCode.DENIED.code());
            assertThat(CliRun.against(t.base, "list", "--access-token", "guess").exitCode())
                    .isEqualTo(ExitCode.DENIED.code());
            assertThat(CliRun.against(t.base, "list", "--access-token", "open-sesame").exitCode()).isZero();
            assertThat(exec("--url", t.base, "--recorder", "sim-0", "--", "true")).isEqualTo(ExitCode.DENIED.code());
        }
    }

    @Test
    void exit7WhenTheLockIsNotHeldOrTheSessionWasClosed() throws Exception {
        try (TestService t = TestService.start(c -> c.adminToken("admin-secret"))) {
            Session a = t.open("Kiosk A");
            CliRun atZero = CliRun.against(t.base, "release", "sim-0", "--session", a.id(), "--session-token",
                    a.token());
            assertThat(atZero.exitCode()).isEqualTo(ExitCode.CONFLICT.code());

            CompletableFuture<CliRun> held = CompletableFuture.supplyAsync(() -> CliRun.against(t.base, "acquire",
                    "sim-0", "--client-name", "CLI holder"));
            TestService.eventually(() -> "CLI holder".equals(t.lock("sim-0").getString("owner")));
            closeSessionOf(t, "sim-0");
            CliRun closed = held.get(20, TimeUnit.SECONDS);
            assertThat(closed.exitCode()).as(closed.err()).isEqualTo(ExitCode.CONFLICT.code());
            assertThat(closed.err()).contains("lost sim-0: the service closed the session");

            try (CliProcess exec = execRun("--url", t.base, "--recorder", "sim-1", "--client-name", "Exec holder",
                    "--", "sleep", "600")) {
                TestService.eventually(() -> exec.descendant("sleep").isPresent());
                t.sim().loseLock(RecorderId.of("sim-1")); // the backend loses the drive's lock
                assertThat(exec.exitStatus(LIMIT)).isEqualTo(ExitCode.CONFLICT.code());
                assertThat(exec.err()).contains("no longer holds sim-1").contains("stopping the command");
            }
        }
    }

    /** Closes, as the admin, the session that holds {@code recorder} (found by the agent's id of it). */
    private static void closeSessionOf(TestService t, String recorder) {
        String id = t.service.sessionIdOf(t.service.agent().recorder(RecorderId.of(recorder)).block().lockState()
                .session()).orElseThrow();
        assertThat(t.send("DELETE", "/api/v1/sessions/" + id, null, "X-Admin-Token", "admin-secret").status())
                .isEqualTo(204);
    }

    @Test
    void exit8WhenTheRecorderFails() {
        try (TestService t = TestService.start()) {
            t.sim().failNext(RecorderId.of("sim-0"), Operation.ACQUIRE,
                    HResult.E_IMAPI_RECORDER_MEDIA_NO_MEDIA, 1);
            CliRun acquire = CliRun.against(t.base, "acquire", "sim-0");
            assertThat(acquire.exitCode()).isEqualTo(ExitCode.RECORDER_FAILURE.code());
            assertThat(acquire.err()).contains("0xC0AA0202");
            t.sim().failNext(RecorderId.of("sim-0"), Operation.ACQUIRE,
                    HResult.E_IMAPI_RECORDER_MEDIA_NO_MEDIA, 1);
            assertThat(exec("--url", t.base, "--recorder", "sim-0", "--", "true"))
                    .isEqualTo(ExitCode.RECORDER_FAILURE.code());
        }
    }
}
