package io.discagent.agent;

import static io.discagent.agent.TestAgent.SIM0;
import static org.assertj.core.api.Assertions.assertThat;

import io.discagent.api.AcquireOptions;
import io.discagent.api.RetryPolicy;
import io.discagent.api.error.InvalidClientNameException;
import io.discagent.api.error.RecorderLockedException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import reactor.core.scheduler.Schedulers;
import reactor.util.retry.Retry;

/** Every signal of the API comes from the event loop: retried requests and argument errors included. */
class SignalThreadTests {

    @Test
    void theEndOfARetriedRequestIsSignalledOnTheEventLoop() {
        try (TestAgent t = TestAgent.start()) {
            t.sim.lockExternally(SIM0, "other");
            AtomicReference<Thread> errorThread = new AtomicReference<>();
            AtomicReference<Thread> grantThread = new AtomicReference<>();
            // a user Retry whose companion signals on Reactor's parallel threads
            Retry parallel = Retry.fixedDelay(2, Duration.ofMillis(1)).scheduler(Schedulers.parallel());
            t.session("A").acquire(SIM0, AcquireOptions.DEFAULT.withRetry(RetryPolicy.of(parallel)))
                    .doOnError(e -> errorThread.set(Thread.currentThread()))
                    .onErrorResume(e -> reactor.core.publisher.Mono.empty()).block(Duration.ofSeconds(10));
            assertThat(errorThread.get()).isSameAs(t.agent.eventLoopThread());

            t.sim.lockExternally(TestAgent.SIM1, "other");
            var probe = reactor.test.subscriber.TestSubscriber.<io.discagent.api.LockGrant>create();
            t.session("B").acquire(TestAgent.SIM1, AcquireOptions.waitUpTo(Duration.ofMinutes(1)))
                    .doOnNext(g -> grantThread.set(Thread.currentThread())).subscribe(probe);
            t.advanceInSteps(Duration.ofMillis(300), Duration.ofMillis(50));
            t.sim.unlockExternally(TestAgent.SIM1);
            t.advanceInSteps(Duration.ofSeconds(2), Duration.ofMillis(50));
            probe.block(Duration.ofSeconds(10));
            assertThat(probe.getReceivedOnNext()).hasSize(1);
            assertThat(grantThread.get()).isSameAs(t.agent.eventLoopThread());
        }
    }

    @Test
    void anInvalidClientNameIsSignalledOnTheEventLoop() {
        try (TestAgent t = TestAgent.start()) {
            AtomicReference<Thread> thread = new AtomicReference<>();
            AtomicReference<Throwable> error = new AtomicReference<>();
            t.agent.openSession("bad/name").doOnError(e -> {
                thread.set(Thread.currentThread());
                error.set(e);
            }).onErrorResume(e -> reactor.core.publisher.Mono.empty()).block(Duration.ofSeconds(10));
            assertThat(error.get()).isInstanceOf(InvalidClientNameException.class);
            assertThat(thread.get()).isSameAs(t.agent.eventLoopThread());
        }
    }

    @Test
    void aLockedRequestWithoutRetryFailsOnTheEventLoopToo() {
        try (TestAgent t = TestAgent.start()) {
            t.sim.lockExternally(SIM0, "other");
            AtomicReference<Thread> thread = new AtomicReference<>();
            t.session("A").acquire(SIM0).doOnError(e -> thread.set(Thread.currentThread()))
                    .onErrorResume(RecorderLockedException.class, e -> reactor.core.publisher.Mono.empty())
                    .block(Duration.ofSeconds(10));
            assertThat(thread.get()).isSameAs(t.agent.eventLoopThread());
        }
    }
}
