package io.discagent.service;

import static org.assertj.core.api.Assertions.assertThat;

import io.discagent.service.problem.ExitCode;
import io.discagent.api.RecorderId;
import io.discagent.service.TestService.Session;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code discagent exec} as a process of its own (signals, exit status and the parent-death signal are those of a
 * real process), standalone on the simulated backend and against a running service. The same command against the
 * real {@code sr} driver and the real burning tools runs in the VM ({@code ExecVmTests}).
 */
class ExecCommandTests {

    private static final Duration LIMIT = Duration.ofSeconds(60);
    private static final String[] STANDALONE = {"exec", "--standalone", "--backend", "simulated",
            "--backend-property", "simulated.recorders=1"};

    @TempDir
    Path dir;

    private static String[] standalone(String... rest) {
        String[] all = new String[STANDALONE.length + rest.length];
        System.arraycopy(STANDALONE, 0, all, 0, STANDALONE.length);
        System.arraycopy(rest, 0, all, STANDALONE.length, rest.length);
        return all;
    }

    @Test
    void theCommandGetsTheHeldDrivesPathsAndExecExitsWithItsStatus() throws IOException {
        Path seen = dir.resolve("env");
        try (CliProcess exec = CliProcess.start(standalone("--client-name", "Exec Test", "--",
                "sh", "-c", "echo \"$DISCAGENT_RECORDER|$DISCAGENT_DEVICE|$DISCAGENT_DEVICE_PATHS|"
                        + "$DISCAGENT_CLIENT_NAME|$DISCAGENT_SG_DEVICE|{device}\" > " + seen + "; exit 7"))) {
            assertThat(exec.exitStatus(LIMIT)).as(exec.err()).isEqualTo(7);
        }
        assertThat(Files.readString(seen).trim()).isEqualTo("sim-0|sim://sim-0|sim://sim-0|Exec Test||sim://sim-0");
    }

    @Test
    void aSignalIsPassedToTheCommandAndItsStatusComesBack() {
        try (CliProcess exec = CliProcess.start(standalone("--", "sh", "-c",
                "trap 'exit 42' TERM; echo ready; while :; do sleep 0.1; done"))) {
            TestService.eventually(() -> exec.out().contains("ready"));
            exec.signal("TERM");
            assertThat(exec.exitStatus(LIMIT)).as(exec.err()).isEqualTo(42);
        }
    }

    @Test
    void theCommandDiesWithExecEvenByKill() {
        try (CliProcess exec = CliProcess.start(standalone("--", "sleep", "600"))) {
            TestService.eventually(() -> exec.descendant("sleep").isPresent());
            ProcessHandle sleeper = exec.descendant("sleep").orElseThrow();
            exec.signal("KILL");
            exec.exitStatus(LIMIT);
            TestService.eventually(() -> !sleeper.isAlive()); // the kernel's parent-death signal
        }
    }

    @Test
    void againstAServiceTheSessionOutlivesItsLeaseWhileTheCommandRuns() {
        try (TestService t = TestService.start();
                CliProcess exec = CliProcess.start("exec", "--url", t.base, "--recorder", "sim-0", "--ttl", "1s",
                        "--client-name", "Exec Burner", "--", "sh", "-c",
                        "echo \"$DISCAGENT_SESSION $DISCAGENT_DEVICE\"; sleep 3; exit 3")) {
            TestService.eventually(() -> exec.out().contains("sim://sim-0"));
            assertThat(t.lock("sim-0").getString("owner")).isEqualTo("Exec Burner");
            assertThat(exec.exitStatus(LIMIT)).as(exec.err()).isEqualTo(3);
            // three leases of one second passed while it ran: the heartbeats kept the session and its lock
            assertThat(exec.err()).doesNotContain("stopping the command").doesNotContain("closed the session");
            assertThat(t.lock("sim-0").getString("state")).isEqualTo("free");
            assertThat(t.service.agent().recorder(RecorderId.of("sim-0")).block().lockState().isHeld()).isFalse();
            assertThat(t.sim().state(RecorderId.of("sim-0")).nativeOwner()).isNull();
        }
    }

    @Test
    void againstAServiceItWaitsInLineWhenAsked() {
        try (TestService t = TestService.start()) {
            Session holder = t.open("Kiosk A");
            t.acquire(holder, "sim-0");
            try (CliProcess refused = CliProcess.start("exec", "--url", t.base, "--recorder", "sim-0", "--",
                    "true")) {
                assertThat(refused.exitStatus(LIMIT)).isEqualTo(ExitCode.BUSY.code());
                assertThat(refused.err()).contains("0xC0AA0210").contains("Kiosk A");
            }
            try (CliProcess waiting = CliProcess.start("exec", "--url", t.base, "--recorder", "sim-0", "--wait",
                    "30s", "--", "sh", "-c", "echo got it")) {
                TestService.eventually(() -> t.service.metrics().scrape().contains("discagent_acquire_waiters 1.0"));
                assertThat(waiting.out()).doesNotContain("got it");
                t.release(holder, "sim-0");
                assertThat(waiting.exitStatus(LIMIT)).as(waiting.err()).isZero();
                assertThat(waiting.out()).contains("got it");
            }
        }
    }

    @Test
    void killedAgainstAServiceTheCommandDiesAtOnceAndTheLeaseFreesTheDrive() {
        try (TestService t = TestService.start();
                CliProcess exec = CliProcess.start("exec", "--url", t.base, "--recorder", "sim-0", "--ttl", "1s",
                        "--", "sleep", "600")) {
            TestService.eventually(() -> exec.descendant("sleep").isPresent());
            ProcessHandle sleeper = exec.descendant("sleep").orElseThrow();
            assertThat(t.lock("sim-0").getString("state")).isEqualTo("held");
            exec.signal("KILL");
            exec.exitStatus(LIMIT);
            TestService.eventually(() -> !sleeper.isAlive());
            TestService.eventually(() -> "free".equals(t.lock("sim-0").getString("state"))); // lease of 1 s
        }
    }

    @Test
    void aServiceThatClosesTheSessionStopsTheCommand() {
        try (TestService t = TestService.start();
                CliProcess exec = CliProcess.start("exec", "--url", t.base, "--recorder", "sim-0", "--ttl", "1s",
                        "--", "sleep", "600")) {
            TestService.eventually(() -> exec.descendant("sleep").isPresent());
            assertThat(t.lock("sim-0").getString("state")).isEqualTo("held");
            t.sim().removeRecorder(RecorderId.of("sim-0")); // the lock is lost under the command
            assertThat(exec.exitStatus(LIMIT)).isEqualTo(ExitCode.NOT_FOUND.code());
            assertThat(exec.err()).contains("sim-0 was removed while held").contains("stopping the command");
        }
    }

    @Test
    void standaloneWithoutARealDriveDoesNotPretend() {
        try (CliProcess exec = CliProcess.start("exec", "--standalone", "--backend-property",
                "linux.scanOptical=false", "--", "true")) {
            assertThat(exec.exitStatus(LIMIT)).isEqualTo(ExitCode.NOT_FOUND.code());
            assertThat(exec.err()).contains("no recorder found on this machine");
        }
    }

    @Test
    void anExplicitUrlWithoutAServiceIsAnError() {
        try (CliProcess exec = CliProcess.start("exec", "--url", "http://127.0.0.1:9", "--", "true")) {
            assertThat(exec.exitStatus(LIMIT)).isEqualTo(ExitCode.UNREACHABLE.code());
            assertThat(exec.err()).contains("cannot reach the agent");
        }
    }

    @Test
    void optionsAfterTheCommandBelongToTheCommand() {
        try (CliProcess exec = CliProcess.start(standalone("echo", "--wait", "{device}"))) {
            assertThat(exec.exitStatus(LIMIT)).as(exec.err()).isZero();
            assertThat(exec.out().trim()).isEqualTo("--wait sim://sim-0");
        }
    }
}
