package io.discagent.service;

import static org.assertj.core.api.Assertions.assertThat;

import io.discagent.api.RecorderId;
import io.discagent.service.TestService.Session;
import io.discagent.service.problem.ExitCode;
import io.discagent.service.cli.Main;
import io.vertx.core.json.JsonObject;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The {@code discagent} client commands against a running service, their output and exit codes. */
class CliTests {

    private TestService t;

    @BeforeEach
    void start() {
        t = TestService.start();
    }

    @AfterEach
    void stop() {
        t.close();
    }

    private CliRun run(String... args) {
        return args.length > 0 && !args[0].equals("serve") && !List.of(args).contains("--help")
                ? CliRun.against(t.base, args) : CliRun.of(args);
    }

    @Test
    void listAndOwnerShowTheLocks() {
        Session a = t.open("Kiosk A");
        t.acquire(a, "sim-0");
        CliRun list = run("list");
        assertThat(list.exitCode()).isZero();
        assertThat(list.out()).contains("ID", "STATE", "OWNER");
        assertThat(list.out()).containsPattern("sim-0\\s+held\\s+Kiosk A\\s+1");
        assertThat(list.out()).containsPattern("sim-1\\s+free\\s+-\\s+0");
        CliRun json = run("list", "--json");
        assertThat(new JsonObject(json.out()).getJsonArray("recorders")).hasSize(2);

        assertThat(run("owner", "sim-0").out().trim()).isEqualTo("Kiosk A (count 1)");
        assertThat(run("owner", "sim-1").out().trim()).isEqualTo("free");
        t.sim().lockExternally(RecorderId.of("sim-1"), "wodim");
        assertThat(run("owner", "sim-1").out().trim()).isEqualTo("wodim (outside the agent)");
        assertThat(run("list").out()).as("the owner query showed the outside holder")
                .containsPattern("sim-1\\s+external\\s+wodim\\s+0");
        CliRun unknown = run("owner", "nope");
        assertThat(unknown.exitCode()).isEqualTo(ExitCode.NOT_FOUND.code());
        assertThat(unknown.err()).contains("0x80070037");
    }

    @Test
    void acquireHoldsThenReleases() throws Exception {
        CompletableFuture<CliRun> holding = CompletableFuture.supplyAsync(
                () -> run("acquire", "sim-1", "--client-name", "CLI Burner", "--hold", "1500ms"));
        TestService.eventually(() -> "CLI Burner".equals(t.lock("sim-1").getString("owner")));
        CliRun done = holding.get(20, TimeUnit.SECONDS);
        assertThat(done.exitCode()).as(done.err()).isZero();
        assertThat(done.out()).contains("acquired sim-1 as 'CLI Burner' (lock count 1", "released sim-1");
        assertThat(t.lock("sim-1").getString("state")).isEqualTo("free");
        assertThat(t.service.metrics().scrape()).contains("discagent_sessions_open 0.0");
    }

    @Test
    void acquireOfALockedRecorderExitsBusy() {
        Session a = t.open("Kiosk A");
        t.acquire(a, "sim-0");
        CliRun locked = run("acquire", "sim-0", "--hold", "1s");
        assertThat(locked.exitCode()).isEqualTo(ExitCode.BUSY.code());
        assertThat(locked.err()).contains("E_IMAPI_RECORDER_LOCKED", "owner: Kiosk A");
        CliRun waited = run("acquire", "sim-0", "--hold", "1s", "--wait", "200ms");
        assertThat(waited.exitCode()).isEqualTo(ExitCode.BUSY.code());
        assertThat(waited.err()).contains("HRESULT_FROM_WIN32(ERROR_TIMEOUT)");
        assertThat(run("acquire", "sim-0", "--client-name", "bad/name").exitCode()).isEqualTo(ExitCode.USAGE.code());
        assertThat(t.service.metrics().scrape()).contains("discagent_sessions_open 1.0");
    }

    @Test
    void releaseUsesAnotherClientsSessionAndToken() {
        Session a = t.open("Kiosk A");
        t.acquire(a, "sim-0");
        t.acquire(a, "sim-0");
        CliRun wrong = run("release", "sim-0", "--session", a.id(), "--session-token", "guess");
        assertThat(wrong.exitCode()).isEqualTo(ExitCode.DENIED.code());
        CliRun once = run("release", "sim-0", "--session", a.id(), "--session-token", a.token());
        assertThat(once.exitCode()).isZero();
        assertThat(once.out()).contains("lock count now 1");
        run("release", "sim-0", "--session", a.id(), "--session-token", a.token());
        CliRun atZero = run("release", "sim-0", "--session", a.id(), "--session-token", a.token());
        assertThat(atZero.exitCode()).isEqualTo(ExitCode.CONFLICT.code());
        assertThat(atZero.err()).contains("HRESULT_FROM_WIN32(ERROR_INVALID_FUNCTION)");
    }

    @Test
    void watchPrintsTheStream() throws Exception {
        CompletableFuture<CliRun> json = CompletableFuture.supplyAsync(() -> run("watch", "--json", "--count", "3",
                "--recorder", "sim-0"));
        CompletableFuture<CliRun> readable = CompletableFuture.supplyAsync(() -> run("watch", "--count", "3"));
        TestService.eventually(() -> t.service.metrics().scrape().contains("discagent_stream_clients 2.0"));
        Session a = t.open("Kiosk A");
        t.acquire(a, "sim-0");
        t.release(a, "sim-0");
        CliRun jsonRun = json.get(20, TimeUnit.SECONDS);
        assertThat(jsonRun.exitCode()).isZero();
        String[] lines = jsonRun.out().trim().split("\n");
        assertThat(lines).hasSize(3);
        assertThat(new JsonObject(lines[0]).getString("cause")).isEqualTo("SNAPSHOT");
        assertThat(new JsonObject(lines[1]).getString("cause")).isEqualTo("ACQUIRED");
        assertThat(new JsonObject(lines[2]).getString("cause")).isEqualTo("RELEASED");
        CliRun readableRun = readable.get(20, TimeUnit.SECONDS);
        assertThat(readableRun.out()).contains("sim-0", "now", "ACQUIRED", "free -> held by 'Kiosk A' (1)");
    }

    @Test
    void simControlsTheSimulatedBackend() {
        assertThat(run("sim", "add", "--id", "cli-9").out()).contains("added cli-9");
        TestService.eventually(() -> t.get("/api/v1/recorders/cli-9").status() == 200);
        assertThat(run("sim", "lock", "cli-9", "--owner", "growisofs").exitCode()).isZero();
        assertThat(t.sim().state(RecorderId.of("cli-9")).externalOwner()).isEqualTo("growisofs");
        assertThat(run("sim", "unlock", "cli-9").exitCode()).isZero();
        assertThat(run("sim", "fail", "cli-9", "--operation", "ACQUIRE", "--hresult", "0xC0AA0202").exitCode())
                .isZero();
        Session a = t.open("Kiosk A");
        t.acquire(a, "cli-9").problem(502, "E_IMAPI_RECORDER_MEDIA_NO_MEDIA");
        assertThat(run("sim", "latency", "cli-9", "--millis", "5").exitCode()).isZero();
        assertThat(run("sim", "hang", "cli-9", "--operation", "OWNER").exitCode()).isZero();
        assertThat(run("sim", "release-hangs", "cli-9").exitCode()).isZero();
        assertThat(run("sim", "list").out()).contains("\"cli-9\"");
        assertThat(run("sim", "remove", "cli-9").exitCode()).isZero();
        assertThat(run("sim", "remove", "cli-9").exitCode()).isEqualTo(ExitCode.NOT_FOUND.code());
        assertThat(run("sim", "fail", "sim-0", "--hresult", "nonsense").exitCode()).isEqualTo(ExitCode.USAGE.code());
    }

    @Test
    void helpEverywhereAndClearExitCodes() {
        for (String[] command : new String[][] {{"--help"}, {"serve", "--help"}, {"list", "--help"},
                {"acquire", "--help"}, {"release", "--help"}, {"owner", "--help"}, {"watch", "--help"},
                {"sim", "--help"}, {"sim", "fail", "--help"}}) {
            CliRun help = run(command);
            assertThat(help.exitCode()).as(String.join(" ", command)).isZero();
            assertThat(help.out()).contains("Usage: discagent");
            if (help.out().contains("--url=")) {
                assertThat(help.out()).as("the default URL on one line").contains("http://127.0.0.1:8731\n");
            }
        }
        assertThat(run("frobnicate").exitCode()).isEqualTo(ExitCode.USAGE.code());
        assertThat(run("acquire").exitCode()).isEqualTo(ExitCode.USAGE.code());
        StringWriter err = new StringWriter();
        int unreachable = Main.commandLine(new PrintWriter(new StringWriter()), new PrintWriter(err))
                .execute("list", "--url", "http://127.0.0.1:1");
        assertThat(unreachable).isEqualTo(ExitCode.UNREACHABLE.code());
        assertThat(err.toString()).contains("cannot reach the agent");
        CliRun openBind = run("serve", "--host", "0.0.0.0", "--port", "0", "--access-token", "");
        assertThat(openBind.exitCode()).isEqualTo(ExitCode.USAGE.code());
        assertThat(openBind.err()).contains("requires an access token");
    }

    @Test
    void serveCanStopAsSoonAsItIsReady() {
        CliRun check = run("serve", "--backend", "simulated", "--port", "0", "--exit-when-ready");
        assertThat(check.exitCode()).as(check.err()).isZero();
        assertThat(check.out()).startsWith("discagent is serving the simulated backend at http://127.0.0.1:")
                .doesNotContain("Ctrl-C");
    }
}
