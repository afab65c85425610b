package io.discagent.service;

import static org.assertj.core.api.Assertions.assertThat;

import io.discagent.api.RecorderId;
import io.discagent.service.TestService.Session;
import io.discagent.service.problem.ExitCode;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * {@code discagent acquire} as a person uses it, in a process of its own against a running service: it keeps its
 * session alive while it waits longer than the lease, says where it stands in line, holds until Ctrl-C, and reacts
 * the moment its hold is lost.
 */
class AcquireCommandTests {

    private static final Duration LIMIT = Duration.ofSeconds(60);

    @Test
    void aWaitLongerThanTheLeaseKeepsItsSessionAndGetsTheRecorder() throws Exception {
        try (TestService t = TestService.start()) {
            Session holder = t.open("Kiosk A");
            t.acquire(holder, "sim-0");
            CompletableFuture<CliRun> waiting = CompletableFuture.supplyAsync(() -> CliRun.against(t.base, "acquire",
                    "sim-0", "--ttl", "1s", "--wait", "30s", "--hold", "100ms"));
            TestService.eventually(() -> t.service.metrics().scrape().contains("discagent_acquire_waiters 1.0"));
            // the holder lets go after two and a half leases of the waiting session: heartbeats kept it open
            CompletableFuture.runAsync(() -> t.release(holder, "sim-0"),
                    CompletableFuture.delayedExecutor(2500, TimeUnit.MILLISECONDS)).get(20, TimeUnit.SECONDS);
            CliRun done = waiting.get(30, TimeUnit.SECONDS);
            assertThat(done.exitCode()).as(done.err()).isZero();
            assertThat(done.out()).contains("acquired sim-0", "released sim-0 (lock count 0)");
            assertThat(t.service.metrics().scrape()).doesNotContain("cause=\"expired\"} 1.0");
        }
    }

    @Test
    void whileItWaitsItSaysWhereItStandsInLineAndWhoHoldsTheRecorder() {
        try (TestService t = TestService.start();
                CliProcess first = CliProcess.start("acquire", "sim-0", "--url", t.base, "--wait", "60s",
                        "--client-name", "First");
                CliProcess second = CliProcess.start("acquire", "sim-0", "--url", t.base, "--wait", "60s",
                        "--client-name", "Second")) {
            // whichever starts first holds it; the other one waits
            TestService.eventually(() -> first.out().contains("acquired") || second.out().contains("acquired"));
            CliProcess holder = first.out().contains("acquired") ? first : second;
            CliProcess waiter = holder == first ? second : first;
            String holderName = holder == first ? "First" : "Second";
            TestService.eventually(() -> waiter.err().contains("waiting for sim-0: next in line, held by '"
                    + holderName + "'"));
            try (CliProcess third = CliProcess.start("acquire", "sim-0", "--url", t.base, "--wait", "60s")) {
                TestService.eventually(() -> third.err().contains("waiting for sim-0: 1 ahead in line, held by '"
                        + holderName + "'"));
                holder.signal("INT"); // Ctrl-C: the holder releases, the first waiter gets it
                assertThat(holder.exitStatus(LIMIT)).as(holder.err()).isZero();
                assertThat(holder.out()).contains("released sim-0");
                TestService.eventually(() -> waiter.out().contains("acquired sim-0"));
                TestService.eventually(() -> third.err().contains("waiting for sim-0: next in line"));
                third.signal("TERM"); // gives up the wait
                assertThat(third.exitStatus(LIMIT)).isEqualTo(128 + 15);
                assertThat(third.err()).contains("gave up waiting for sim-0");
            }
            waiter.signal("TERM");
            assertThat(waiter.exitStatus(LIMIT)).as(waiter.err()).isZero();
        }
    }

    @Test
    void anUnpluggedRecorderIsReportedAtOnceNotAtTheNextHeartbeat() {
        try (TestService t = TestService.start();
                CliProcess holding = CliProcess.start("acquire", "sim-0", "--url", t.base, "--ttl", "60s")) {
            TestService.eventually(() -> holding.out().contains("acquired sim-0"));
            long removed = System.nanoTime();
            t.sim().removeRecorder(RecorderId.of("sim-0"));
            assertThat(holding.exitStatus(LIMIT)).as(holding.err()).isEqualTo(ExitCode.NOT_FOUND.code());
            long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - removed);
            // heartbeats (and their checks) come every 10 s with this lease: the event stream told it at once
            assertThat(tookMillis).isLessThan(8000);
            assertThat(holding.err()).contains("lost sim-0: sim-0 was removed while held");
        }
    }

    @Test
    void anExpiredSessionIsReportedAsSoonAsTheCommandRunsAgain() {
        try (TestService t = TestService.start();
                CliProcess holding = CliProcess.start("acquire", "sim-0", "--url", t.base, "--ttl", "1s")) {
            TestService.eventually(() -> holding.out().contains("acquired sim-0"));
            holding.signal("STOP"); // frozen, as by a laptop's sleep: no heartbeats, the lease runs out
            TestService.eventually(() -> "free".equals(t.lock("sim-0").getString("state")));
            holding.signal("CONT");
            assertThat(holding.exitStatus(LIMIT)).as(holding.err()).isEqualTo(ExitCode.CONFLICT.code());
            assertThat(holding.err()).contains("lost sim-0: the service closed the session")
                    .contains("its lease expired without a heartbeat");
        }
    }
}
