package io.discagent.agent.backend.windows;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import io.discagent.agent.DiscAgent;
import io.discagent.api.AcquireOptions;
import io.discagent.api.ClientSession;
import io.discagent.api.RecorderId;
import io.discagent.api.RecorderInfo;
import io.discagent.api.error.RecorderLockedException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * What the Windows backend promises behind a real agent, written against the public API only, so that it runs both on
 * the fake COM layer ({@link FakeWindowsBackendContractTests}, every build) and on a real Windows machine with a drive
 * ({@link RealWindowsBackendContractTests}, {@code -Preal-windows}). Two agents stand for two processes: each has its
 * own recorder objects, so each is a separate lock holder for the driver.
 */
abstract class WindowsBackendContract {

    static final Duration BLOCK = Duration.ofSeconds(30);

    private final List<DiscAgent> agents = new ArrayList<>();

    /** Starts an agent on the backend under test, as its own "process". */
    protected abstract DiscAgent startAgent(String process);

    /** Notes what the backend under test answered where the reference is unsure (printed on a real run). */
    protected void observe(String question, Object answer) {
    }

    @AfterEach
    void closeAgents() {
        for (DiscAgent agent : agents) {
            agent.close().block(BLOCK);
        }
        agents.clear();
    }

    /** Closes one agent now (and not again after the test: a second close of a DiscAgent never completes). */
    final void close(DiscAgent agent) {
        agents.remove(agent);
        agent.close().block(BLOCK);
    }

    final DiscAgent agent(String process) {
        DiscAgent agent = startAgent(process);
        agents.add(agent);
        return agent;
    }

    /** The recorder to exercise: the first the agent lists (the test is skipped when there is none). */
    final RecorderId recorder(DiscAgent agent) {
        List<RecorderInfo> recorders = agent.recorders().block(BLOCK);
        assumeFalse(recorders.isEmpty(), "no recorder on this machine");
        return recorders.get(0).id();
    }

    @Test
    void itListsItsRecordersWithTheirIdentity() {
        DiscAgent agent = agent("first");
        RecorderId id = recorder(agent);
        RecorderInfo info = agent.recorder(id).block(BLOCK);
        assertThat(info.backend()).isEqualTo("windows");
        assertThat(info.id().value()).isNotBlank();
        observe("first recorder", info);
    }

    /** Two agents (two processes) and the recorder they share. */
    record Scene(DiscAgent first, DiscAgent second, RecorderId id) {

        /** A session of the first agent, named "discagent contract A". */
        ClientSession a() {
            return first.openSession("discagent contract A").block(BLOCK);
        }

        /** A session of the second agent, named "discagent contract B". */
        ClientSession b() {
            return second.openSession("discagent contract B").block(BLOCK);
        }

        /** What the second agent reads from the driver ({@code ExclusiveAccessOwner}). */
        Optional<String> ownerSeenBySecond() {
            return second.exclusiveAccessOwner(id).blockOptional(BLOCK);
        }

        void secondCanAcquire() {
            assertThat(b().acquire(id).block(BLOCK).lockCount()).isEqualTo(1);
        }
    }

    final Scene scene() {
        DiscAgent first = agent("first");
        DiscAgent second = agent("second");
        return new Scene(first, second, recorder(first));
    }

    @Test
    void acquiresCountAndTheLastReleaseFreesTheRecorder() {
        Scene scene = scene();
        ClientSession a = scene.a();
        assertThat(a.acquire(scene.id()).block(BLOCK).lockCount()).isEqualTo(1);
        assertThat(a.acquire(scene.id()).block(BLOCK).lockCount()).isEqualTo(2);
        assertThat(scene.ownerSeenBySecond()).contains("discagent contract A");
        assertThat(a.release(scene.id()).block(BLOCK)).isEqualTo(1);
        assertThat(scene.ownerSeenBySecond()).contains("discagent contract A");
        assertThat(a.release(scene.id()).block(BLOCK)).isZero();
        assertThat(scene.ownerSeenBySecond()).isEmpty();
    }

    @Test
    void anotherHolderIsToldItIsLockedAndByWhom() {
        Scene scene = scene();
        ClientSession a = scene.a();
        a.acquire(scene.id()).block(BLOCK);
        assertThatThrownBy(() -> scene.b().acquire(scene.id()).block(BLOCK))
                .isInstanceOfSatisfying(RecorderLockedException.class, e -> {
                    observe("AcquireExclusiveAccess by a second holder", e.hresult() + " / cause "
                            + (e.getCause() == null ? "none" : e.getCause().getClass().getName()));
                    assertThat(e.hresult().name()).isIn("E_IMAPI_RECORDER_LOCKED", "E_ACCESSDENIED");
                    assertThat(e.owner()).contains("discagent contract A");
                });
        a.release(scene.id()).block(BLOCK);
        scene.secondCanAcquire();
    }

    @Test
    void aHandOffInsideOneAgentMakesTheNextClientTheOwnerOthersSee() {
        Scene scene = scene();
        ClientSession a = scene.a();
        ClientSession next = scene.first().openSession("discagent contract A2").block(BLOCK);
        a.acquire(scene.id()).block(BLOCK);
        Mono<Integer> waiter = next.acquire(scene.id(), AcquireOptions.waitUpTo(BLOCK)).map(g -> g.lockCount())
                .cache();
        waiter.subscribe();
        WindowsTestAgent.await(() -> scene.first().activity().block(BLOCK).waiting() == 1, "A2 waits");
        assertThat(a.release(scene.id()).block(BLOCK)).isZero();
        assertThat(waiter.block(BLOCK)).isEqualTo(1);
        assertThat(scene.ownerSeenBySecond()).contains("discagent contract A2");
        assertThat(next.release(scene.id()).block(BLOCK)).isZero();
        assertThat(scene.ownerSeenBySecond()).isEmpty();
        scene.secondCanAcquire();
    }

    @Test
    void closingASessionFreesTheRecorderForOthers() {
        Scene scene = scene();
        ClientSession a = scene.a();
        a.acquire(scene.id()).block(BLOCK);
        a.acquire(scene.id()).block(BLOCK);
        a.close().block(BLOCK);
        scene.secondCanAcquire();
    }

    @Test
    void closingTheAgentDropsItsLock() {
        Scene scene = scene();
        scene.a().acquire(scene.id()).block(BLOCK);
        close(scene.first());
        scene.secondCanAcquire();
    }

    @Test
    void withLockHoldsDuringTheBodyOnly() {
        Scene scene = scene();
        Optional<String> ownerDuring = scene.a().withLock(scene.id(), AcquireOptions.DEFAULT,
                // blocking happens off the event loop: agents mark their loops non-blocking for Reactor
                grant -> Mono.fromCallable(scene::ownerSeenBySecond).subscribeOn(Schedulers.boundedElastic()))
                .blockFirst(BLOCK);
        assertThat(ownerDuring).contains("discagent contract A");
        // the release follows the body's end asynchronously (blockFirst cancels the body): wait for it, boundedly
        WindowsTestAgent.await(() -> scene.ownerSeenBySecond().isEmpty(), "the lock is released after the body");
    }
}
