package io.discagent.agent;

import static io.discagent.agent.TestAgent.SIM0;
import static io.discagent.agent.TestAgent.SIM1;
import static org.assertj.core.api.Assertions.assertThat;

import io.discagent.api.AcquireOptions;
import io.discagent.api.ClientSession;
import io.discagent.api.LockGrant;
import io.discagent.api.RecorderSelector;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.test.subscriber.TestSubscriber;

/**
 * The counts an agent keeps of its sessions and of the outcome of every acquire request, whoever made it (the
 * service's metrics read them, so in-process clients count as much as HTTP ones).
 */
class StatisticsTests {

    private final TestAgent t = TestAgent.start();

    @AfterEach
    void close() {
        t.close();
    }

    @Test
    void sessionsAreCountedWhenTheyOpenAndOnceWhenTheyClose() {
        ClientSession a = t.session("Kiosk A");
        ClientSession b = t.session("Kiosk B");
        assertThat(t.agent.statistics().sessionsOpen()).isEqualTo(2);
        a.close().block();
        a.close().block();
        AgentStatistics stats = t.agent.statistics();
        assertThat(stats.sessionsOpened()).isEqualTo(2);
        assertThat(stats.sessionsClosed()).isEqualTo(1);
        assertThat(stats.sessionsOpen()).isEqualTo(1);
        b.acquire(SIM0).block();
        t.agent.close().block();
        assertThat(t.agent.statistics().sessionsOpen()).as("the agent closed its sessions").isZero();
    }

    @Test
    void everyAcquireRequestEndsInExactlyOneOutcome() {
        ClientSession a = t.session("Kiosk A");
        ClientSession b = t.session("Kiosk B");
        a.acquire(SIM0).block();
        a.withLock(SIM1, AcquireOptions.DEFAULT, grant -> Mono.just(1)).blockLast();
        b.acquire(SIM0).onErrorResume(e -> Mono.empty()).block();            // E_IMAPI_RECORDER_LOCKED
        TestSubscriber<LockGrant> waiting = TestSubscriber.create();
        b.acquire(SIM0, AcquireOptions.waitUpTo(Duration.ofSeconds(5))).subscribe(waiting);
        t.advance(Duration.ofSeconds(5));                                      // wait timed out
        Disposable cancelled = b.acquire(SIM0, AcquireOptions.waitIndefinitely()).subscribe();
        t.settle();
        cancelled.dispose();
        t.settle();

        AgentStatistics stats = t.agent.statistics();
        assertThat(stats.acquiresGranted()).isEqualTo(2);
        assertThat(stats.acquiresCancelled()).isEqualTo(1);
        assertThat(stats.acquiresFailed()).containsExactlyInAnyOrderEntriesOf(Map.of(
                "E_IMAPI_RECORDER_LOCKED", 1L, "HRESULT_FROM_WIN32(ERROR_TIMEOUT)", 1L));
        assertThat(stats.grants()).isEqualTo(2);
    }

    @Test
    void aPoolRequestIsOneRequestHoweverManyRecordersItWaitsOn() {
        ClientSession a = t.session("Kiosk A");
        ClientSession b = t.session("Kiosk B");
        a.acquire(SIM0).block();
        a.acquire(SIM1).block();
        TestSubscriber<LockGrant> timesOut = TestSubscriber.create();
        b.acquireAny(RecorderSelector.any(), AcquireOptions.waitUpTo(Duration.ofSeconds(5))).subscribe(timesOut);
        t.advance(Duration.ofSeconds(5));                                      // its wait on both ran out
        TestSubscriber<LockGrant> granted = TestSubscriber.create();
        b.acquireAny(RecorderSelector.any(), AcquireOptions.waitIndefinitely()).subscribe(granted);
        t.settle();
        a.release(SIM1).block();
        t.settle();
        assertThat(granted.getReceivedOnNext()).hasSize(1);

        AgentStatistics stats = t.agent.statistics();
        assertThat(stats.acquiresGranted()).as("two acquires and one pool request").isEqualTo(3);
        assertThat(stats.acquiresFailed()).containsExactlyInAnyOrderEntriesOf(Map.of(
                "HRESULT_FROM_WIN32(ERROR_TIMEOUT)", 1L));
        assertThat(stats.acquiresCancelled()).isZero();
    }
}
