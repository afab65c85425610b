package io.discagent.agent.adversary;

import static io.discagent.agent.adversary.Harness.BLOCK;
import static io.discagent.agent.adversary.Harness.SIM0;
import static io.discagent.agent.adversary.Harness.SIM1;
import static org.assertj.core.api.Assertions.assertThat;

import io.discagent.agent.backend.simulated.Simulator.Operation;
import io.discagent.api.AcquireOptions;
import io.discagent.api.AcquireRequest;
import io.discagent.api.ClientSession;
import io.discagent.api.LockGrant;
import io.discagent.api.error.RecorderException;
import io.discagent.api.error.RequestCancelledException;
import io.discagent.api.error.SessionClosedException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Agent close: "closes every session (releasing its locks), fails pending requests with RequestCancelledException,
 * completes the streams and stops the native workers"; closing again returns the same completion; nothing is left
 * unanswered, and every native lock is dropped.
 */
class AgentCloseAdversaryTests {

    @Test
    void closingUnderLoadAnswersEverybodyAndDropsEveryLock() throws Exception {
        for (int round = 0; round < 15; round++) {
            Harness h = Harness.virtualTime();
            try {
                ClientSession a = h.session("Alpha");
                ClientSession b = h.session("Beta");
                ClientSession c = h.session("Gamma");
                a.acquire(SIM0).block(BLOCK);
                List<Probe<?>> everyone = new ArrayList<>();
                Probe<LockGrant> waiter = Probe.unbounded();
                b.acquire(SIM0, AcquireOptions.waitIndefinitely()).subscribe(waiter);
                Probe<Object> body = Probe.unbounded();
                c.withLock(SIM1, AcquireOptions.DEFAULT, g -> Flux.never()).subscribe(body);
                Probe<Object> waitingBody = Probe.unbounded();
                c.withLock(SIM0, AcquireOptions.waitIndefinitely(), g -> Flux.never()).subscribe(waitingBody);
                Probe<LockGrant> each = Probe.unbounded();
                b.acquireEach(Flux.just(new AcquireRequest(SIM0, AcquireOptions.waitIndefinitely()))).subscribe(each);
                Probe<Object> events = Probe.unbounded();
                h.agent.events().subscribe(events);
                everyone.addAll(List.of(waiter, body, waitingBody, each, events));
                h.settle();
                if (round % 3 == 1) {
                    h.sim.hangNext(SIM1, Operation.RELEASE, 1);
                }
                List<CompletableFuture<Void>> closes = new ArrayList<>();
                List<Thread> closers = new ArrayList<>();
                for (int i = 0; i < 4; i++) {
                    CompletableFuture<Void> done = new CompletableFuture<>();
                    closes.add(done);
                    closers.add(new Thread(() -> h.agent.close().subscribe(v -> { }, done::completeExceptionally,
                            () -> done.complete(null))));
                }
                closers.forEach(Thread::start);
                for (Thread t : closers) {
                    t.join();
                }
                for (int step = 0; round % 3 == 1 && step < 20 && !closes.stream().allMatch(CompletableFuture::isDone);
                        step++) {
                    // the hung release is given up after the command timeout, on virtual time
                    h.test.time.advanceTimeBy(java.time.Duration.ofMinutes(1));
                    Thread.sleep(100);
                }
                for (CompletableFuture<Void> done : closes) {
                    try {
                        done.get(10, java.util.concurrent.TimeUnit.SECONDS);
                    } catch (java.util.concurrent.TimeoutException e) {
                        throw new AssertionError("round " + round + ": a close() subscription was not answered within "
                                + "10 s; " + closes.stream().filter(CompletableFuture::isDone).count() + " of "
                                + closes.size() + " were", e);
                    }
                }
                for (Probe<?> p : everyone) {
                    assertThat(p.awaitTerminal(BLOCK)).as("round %d: answered when the agent closed", round).isTrue();
                }
                assertThat(waiter.error.get()).isInstanceOf(RequestCancelledException.class);
                assertThat(body.error.get()).isInstanceOf(RequestCancelledException.class);
                assertThat(waitingBody.error.get()).isInstanceOf(RequestCancelledException.class);
                assertThat(each.error.get()).isInstanceOf(RequestCancelledException.class);
                assertThat(events.completed).isTrue();
                if (round % 3 == 1) {
                    h.sim.releaseHangs(SIM1);
                }
                assertThat(h.sim.lockCounts().taken()).as("round %d: native locks after close", round)
                        .isEqualTo(h.sim.lockCounts().dropped());
                assertThat(a.isOpen()).isFalse();
            } finally {
                h.close();
            }
        }
    }

    @Test
    void callsAfterTheAgentClosedAreAnsweredWithTypedErrors() {
        Harness h = Harness.virtualTime();
        try {
            ClientSession a = h.session("Alpha");
            LockGrant g = a.acquire(SIM0).block(BLOCK);
            h.agent.close().block(BLOCK);
            List<Supplier<Publisher<?>>> calls = List.of(() -> a.acquire(SIM1), () -> a.release(SIM0),
                    () -> a.release(g), () -> a.lockCount(SIM0),
                    () -> a.withLock(SIM0, AcquireOptions.DEFAULT, x -> Mono.just(1)),
                    () -> a.acquireEach(Flux.just(AcquireRequest.of(SIM1))), () -> h.agent.openSession("Late"),
                    () -> h.agent.recorders(), () -> h.agent.recorder(SIM0), () -> h.agent.exclusiveAccessOwner(SIM0),
                    () -> h.agent.close());
            for (int i = 0; i < calls.size(); i++) {
                Probe<Object> probe = Probe.unbounded();
                @SuppressWarnings("unchecked")
                Publisher<Object> p = (Publisher<Object>) calls.get(i).get();
                p.subscribe(probe);
                assertThat(probe.awaitTerminal(java.time.Duration.ofSeconds(5))).as("call #%d after close answered", i)
                        .isTrue();
                Throwable e = probe.error.get();
                System.out.println("after close, call #" + i + " -> " + (e == null ? "completed " + probe.values : e)
                        + " on " + probe.threads);
                if (e != null) {
                    assertThat(e).as("call #%d after close", i).isInstanceOf(RecorderException.class);
                }
            }
            assertThat(a.isOpen()).as("a session of a closed agent is closed").isFalse();
            assertThat(h.sim.lockCounts().taken()).isEqualTo(h.sim.lockCounts().dropped());
        } finally {
            h.close();
        }
    }

    /**
     * RecorderAgent.close "closes every session"; ClientSession.close: "Closing twice does nothing"; README: "Every
     * call on a closed session ... fails with SessionClosedException (0x80010108); closing it again does nothing".
     */
    @Test
    void closingASessionTheAgentClosedDoesNothing() {
        Harness h = Harness.virtualTime();
        try {
            ClientSession a = h.session("Alpha");
            h.agent.close().block(BLOCK);
            assertThat(a.isOpen()).isFalse();
            Probe<Void> close = Probe.unbounded();
            a.close().subscribe(close);
            assertThat(close.awaitTerminal(BLOCK)).isTrue();
            assertThat(close.error.get()).as("closing a session the agent already closed").isNull();
        } finally {
            h.close();
        }
    }

    @Test
    void aCallOnASessionTheAgentClosedFailsWithSessionClosed() {
        Harness h = Harness.virtualTime();
        try {
            ClientSession a = h.session("Alpha");
            h.agent.close().block(BLOCK);
            assertThat(a.isOpen()).isFalse();
            Probe<LockGrant> acquire = Probe.unbounded();
            a.acquire(SIM1).subscribe(acquire);
            assertThat(acquire.awaitTerminal(BLOCK)).isTrue();
            assertThat(acquire.error.get()).as("acquire on a session the agent closed")
                    .isInstanceOf(SessionClosedException.class);
        } finally {
            h.close();
        }
    }

    /** The definite part of the thread promise for close(): never on a native worker. */
    @Test
    void theCloseIsNeverSignalledOnANativeWorker() {
        Harness h = Harness.virtualTime();
        try {
            Probe<Void> close = Probe.unbounded();
            h.agent.close().subscribe(close);
            assertThat(close.awaitTerminal(BLOCK)).isTrue();
            System.out.println("agent close completed on " + close.threads + " (agent loop " + h.loop.getName() + ")");
            assertThat(close.threads).noneMatch(t -> t.startsWith("discagent-native"));
        } finally {
            h.close();
        }
    }
}
