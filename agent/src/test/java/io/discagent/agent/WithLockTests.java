package io.discagent.agent;

import static io.discagent.agent.TestAgent.SIM0;
import static org.assertj.core.api.Assertions.assertThat;

import io.discagent.api.AcquireOptions;
import io.discagent.api.AcquireRequest;
import io.discagent.api.ClientSession;
import io.discagent.api.LockGrant;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;
import reactor.test.publisher.TestPublisher;
import reactor.test.subscriber.TestSubscriber;

/** Acquire, use, release: the scope releases on completion, error and cancellation; request streams are paced. */
class WithLockTests {

    private final TestAgent t = TestAgent.start();

    @AfterEach
    void close() {
        t.close();
    }

    @Test
    void aScopeReleasesWhenItsBodyCompletes() {
        ClientSession a = t.session("A");
        StepVerifier.create(a.withLock(SIM0, AcquireOptions.DEFAULT, g -> Flux.just(g.lockCount(), 42)))
                .expectNext(1, 42).verifyComplete();
        t.settle();
        assertThat(a.lockCount(SIM0).block()).isZero();
        assertThat(t.sim.state(SIM0).nativeOwner()).isNull();
    }

    @Test
    void aScopeReleasesWhenItsBodyFails() {
        ClientSession a = t.session("A");
        StepVerifier.create(a.withLock(SIM0, AcquireOptions.DEFAULT, g -> Mono.error(new IllegalStateException("burn failed"))))
                .verifyErrorMessage("burn failed");
        t.settle();
        assertThat(t.sim.state(SIM0).nativeOwner()).isNull();
    }

    @Test
    void aScopeReleasesWhenItIsCancelled() {
        ClientSession a = t.session("A");
        TestSubscriber<Object> probe = TestSubscriber.create();
        a.withLock(SIM0, AcquireOptions.DEFAULT, g -> Flux.never()).subscribe(probe);
        t.settle();
        assertThat(t.sim.state(SIM0).nativeOwner()).isEqualTo("A");
        probe.cancel();
        t.settle();
        assertThat(t.sim.state(SIM0).nativeOwner()).isNull();
        assertThat(a.lockCount(SIM0).block()).isZero();
    }

    @Test
    void nestedScopesCountAndReleaseOnlyTheirOwnCount() {
        ClientSession a = t.session("A");
        StepVerifier.create(a.withLock(SIM0, AcquireOptions.DEFAULT, outer ->
                        a.withLock(SIM0, AcquireOptions.DEFAULT, inner -> a.lockCount(SIM0))
                                .concatWith(a.lockCount(SIM0))))
                .expectNext(2, 1).verifyComplete();
        t.settle();
        assertThat(t.sim.state(SIM0).nativeOwner()).isNull();
        assertThat(t.sim.state(SIM0).locksTaken()).isEqualTo(1);
    }

    @Test
    void aScopeWhoseBodyReleasedItselfDoesNotReleaseAgain() {
        ClientSession a = t.session("A");
        a.acquire(SIM0).block(); // an outer count the scope must not take away
        StepVerifier.create(a.withLock(SIM0, AcquireOptions.DEFAULT, g -> a.release(SIM0)))
                .expectNext(1).verifyComplete();
        t.settle();
        assertThat(a.lockCount(SIM0).block()).isZero();
        assertThat(t.sim.state(SIM0).nativeOwner()).isNull();
    }

    @Test
    void aStreamOfRequestsIsConsumedOnlyAsFastAsGrantsComplete() {
        ClientSession a = t.session("A");
        ClientSession holder = t.session("Holder");
        holder.acquire(SIM0).block();
        TestPublisher<AcquireRequest> requests = TestPublisher.create();
        TestSubscriber<LockGrant> grants = TestSubscriber.create();
        a.acquireEach(requests.flux()).subscribe(grants);
        t.settle(); // the first request for a request is made from the event loop
        requests.assertMinRequested(1).assertMaxRequested(1);
        requests.next(new AcquireRequest(SIM0, AcquireOptions.waitUpTo(Duration.ofMinutes(1))));
        t.settle();
        requests.assertMaxRequested(0);
        holder.release(SIM0).block();
        t.settle();
        assertThat(grants.getReceivedOnNext()).hasSize(1);
        requests.assertMaxRequested(1);
        requests.next(AcquireRequest.of(SIM0));
        t.settle();
        requests.complete();
        grants.block(Duration.ofSeconds(5));
        assertThat(grants.getReceivedOnNext()).extracting(LockGrant::lockCount).isEqualTo(List.of(1, 2));
    }
}
