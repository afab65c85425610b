package io.discagent.agent.adversary;

import static io.discagent.agent.adversary.Harness.BLOCK;
import static io.discagent.agent.adversary.Harness.SIM0;
import static org.assertj.core.api.Assertions.assertThat;

import io.discagent.api.ClientSession;
import io.discagent.api.error.EventOverflowException;
import io.discagent.api.error.RecorderException;
import io.discagent.api.event.LockTransition;
import io.discagent.api.event.LockTransition.Cause;
import io.discagent.api.event.RecorderEvent;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.reactivestreams.Publisher;

/**
 * The event streams: hot, snapshot first, a subscriber that keeps up misses nothing, an overflowed subscriber gets
 * its buffered events if it requests within the grace and then EventOverflowException (0x8007006F), or the error at
 * once at the end of the grace; they "pass the Reactive Streams TCK" (so request(0) and request(-1) must be
 * answered with onError(IllegalArgumentException), rule 3.9).
 */
class StreamAdversaryTests {

    private static final int BUFFER = 4;

    static List<String> streams() {
        return List.of("events", "lockTransitions", "lockTransitions(sim-0)", "timeouts", "deviceEvents");
    }

    private static Map<String, Function<Harness, Publisher<? extends RecorderEvent>>> byName() {
        return Map.of("events", h -> h.agent.events(), "lockTransitions", h -> h.agent.lockTransitions(),
                "lockTransitions(sim-0)", h -> h.agent.lockTransitions(SIM0), "timeouts", h -> h.agent.timeouts(),
                "deviceEvents", h -> h.agent.deviceEvents());
    }

    @ParameterizedTest(name = "{0} request(0)")
    @MethodSource("streams")
    void requestZeroIsAnsweredWithIllegalArgument(String stream) {
        try (Harness h = Harness.virtualTime()) {
            Probe<RecorderEvent> probe = new Probe<>(0);
            byName().get(stream).apply(h).subscribe(probe);
            probe.request(0);
            assertThat(probe.awaitTerminal(Duration.ofSeconds(2))).as("rule 3.9: a terminal signal after request(0)")
                    .isTrue();
            assertThat(probe.error.get()).isInstanceOf(IllegalArgumentException.class);
            System.out.println(stream + " rule 3.9 error on " + probe.threads);
        }
    }

    @ParameterizedTest(name = "{0} request(-1)")
    @MethodSource("streams")
    void requestNegativeIsAnsweredWithIllegalArgument(String stream) {
        try (Harness h = Harness.virtualTime()) {
            Probe<RecorderEvent> probe = new Probe<>(0);
            byName().get(stream).apply(h).subscribe(probe);
            probe.request(-1);
            assertThat(probe.awaitTerminal(Duration.ofSeconds(2))).as("rule 3.9: a terminal signal after request(-1)")
                    .isTrue();
            assertThat(probe.error.get()).isInstanceOf(IllegalArgumentException.class);
            System.out.println(stream + " rule 3.9 error on " + probe.threads);
        }
    }

    private static void churn(Harness h, ClientSession s, int transitions) {
        for (int i = 0; i < transitions / 2; i++) {
            s.acquire(SIM0).block(BLOCK);
            s.release(SIM0).block(BLOCK);
        }
    }

    @Test
    void aStalledSubscriberLearnsWithinTheGraceWithoutRequesting() {
        try (Harness h = Harness.virtualTime(1, b -> b.eventBufferSize(BUFFER).eventOverflowGrace(Duration.ofSeconds(1)))) {
            ClientSession a = h.session("Alpha");
            Probe<LockTransition> stalled = new Probe<>(1);
            h.agent.lockTransitions(SIM0).subscribe(stalled);
            assertThat(stalled.awaitValue(BLOCK)).isTrue();
            churn(h, a, 12);
            h.test.advance(Duration.ofMillis(999));
            assertThat(stalled.terminals.get()).as("nothing before the grace ran out").isZero();
            h.test.advance(Duration.ofMillis(1));
            assertThat(stalled.awaitTerminal(BLOCK)).as("told at the end of the grace").isTrue();
            assertThat(stalled.error.get()).isInstanceOf(EventOverflowException.class);
            assertThat(((RecorderException) stalled.error.get()).hresult().code()).isEqualTo(0x8007006F);
            assertThat(stalled.values).as("only the requested snapshot").hasSize(1);
            assertThat(stalled.threadSet()).containsOnly(h.loop.getName());
            h.assertQuiescentAndBalanced();
            assertThat(h.settle().subscribers()).as("subscribers left after the overflow").isZero();
        }
    }

    @Test
    void aSubscriberThatRequestsWithinTheGraceGetsItsBufferThenTheError() {
        try (Harness h = Harness.virtualTime(1, b -> b.eventBufferSize(BUFFER).eventOverflowGrace(Duration.ofSeconds(1)))) {
            ClientSession a = h.session("Alpha");
            Probe<LockTransition> slow = new Probe<>(1);
            h.agent.lockTransitions(SIM0).subscribe(slow);
            assertThat(slow.awaitValue(BLOCK)).isTrue();
            churn(h, a, 12);
            h.test.advance(Duration.ofMillis(500));
            slow.request(Long.MAX_VALUE);
            assertThat(slow.awaitTerminal(BLOCK)).isTrue();
            assertThat(slow.error.get()).isInstanceOf(EventOverflowException.class);
            List<LockTransition> got = slow.values;
            assertThat(got.get(0).cause()).isEqualTo(Cause.SNAPSHOT);
            assertThat(got).as("the snapshot and the buffered events").hasSize(1 + BUFFER);
            for (int i = 2; i < got.size(); i++) {
                assertThat(got.get(i).from()).as("no gap in what was delivered").isEqualTo(got.get(i - 1).to());
            }
            assertThat(got.get(1).from()).isEqualTo(got.get(0).to());
            assertThat(slow.threads).as("thread of each signal: the snapshot, %d buffered events, the error", BUFFER)
                    .containsOnly(h.loop.getName());
        }
    }

    @Test
    void aSlowSubscriberOnRealTimeIsToldWithinTheGrace() {
        try (Harness h = Harness.realTime(1, b -> b.eventBufferSize(BUFFER).eventOverflowGrace(Duration.ofMillis(200)))) {
            ClientSession a = h.session("Alpha");
            Probe<RecorderEvent> stalled = new Probe<>(1);
            h.agent.events().subscribe(stalled);
            Probe<RecorderEvent> fast = Probe.unbounded();
            h.agent.events().subscribe(fast);
            churn(h, a, 40);
            long overflowAt = System.nanoTime();
            assertThat(stalled.awaitTerminal(Duration.ofMillis(200 + 1000))).as("told within grace + 1 s").isTrue();
            long tookMs = (System.nanoTime() - overflowAt) / 1_000_000;
            assertThat(stalled.error.get()).isInstanceOf(EventOverflowException.class);
            assertThat(fast.error.get()).as("a subscriber that keeps up").isNull();
            h.settle();
            long transitions = fast.values.stream().filter(e -> e instanceof LockTransition t
                    && t.cause() != Cause.SNAPSHOT).count();
            assertThat(transitions).as("the fast subscriber saw every transition").isEqualTo(40);
            System.out.println("stalled subscriber told after " + tookMs + " ms");
        }
    }

    @Test
    void aSubscriberThatKeepsUpMissesNothingAcrossManyTransitions() {
        try (Harness h = Harness.virtualTime(1, b -> b.eventBufferSize(BUFFER))) {
            ClientSession a = h.session("Alpha");
            TransitionChecker checker = new TransitionChecker(h);
            Probe<LockTransition> fast = Probe.unbounded();
            h.agent.lockTransitions().doOnNext(checker).subscribe(fast);
            churn(h, a, 2000);
            h.settle();
            assertThat(fast.error.get()).isNull();
            assertThat(fast.values).hasSize(1 + 2000);
            h.assertNoViolations();
        }
    }

    @Test
    void aSubscriberThatThrowsDoesNotHurtTheOthers() {
        try (Harness h = Harness.virtualTime()) {
            ClientSession a = h.session("Alpha");
            h.agent.lockTransitions().subscribe(t -> {
                throw new IllegalStateException("a rude subscriber");
            }, e -> { });
            Probe<LockTransition> polite = Probe.unbounded();
            h.agent.lockTransitions(SIM0).subscribe(polite);
            churn(h, a, 10);
            h.settle();
            assertThat(polite.values).hasSize(11);
            assertThat(a.acquire(SIM0).block(BLOCK).lockCount()).isEqualTo(1);
            a.release(SIM0).block(BLOCK);
            h.assertQuiescentAndBalanced();
        }
    }

    @Test
    void theStreamsCompleteWhenTheAgentClosesAndAfterwards() {
        Harness h = Harness.virtualTime();
        try {
            Probe<RecorderEvent> live = Probe.unbounded();
            h.agent.events().subscribe(live);
            h.settle();
            h.agent.close().block(BLOCK);
            assertThat(live.awaitTerminal(BLOCK)).as("a live subscriber when the agent closed").isTrue();
            assertThat(live.completed).isTrue();
            for (Function<Harness, Publisher<? extends RecorderEvent>> stream : byName().values()) {
                Probe<RecorderEvent> late = Probe.unbounded();
                stream.apply(h).subscribe(late);
                assertThat(late.awaitTerminal(BLOCK)).as("a subscriber that came after the close").isTrue();
            }
        } finally {
            h.close();
        }
    }

    /** Events buffered for a subscriber that has not requested them yet, then requested from a foreign thread. */
    @Test
    void bufferedEventsRequestedFromAnotherThreadAreDeliveredOnTheLoop() {
        try (Harness h = Harness.virtualTime(1, b -> b.eventBufferSize(BUFFER))) {
            ClientSession a = h.session("Alpha");
            Probe<LockTransition> slow = new Probe<>(1);
            h.agent.lockTransitions(SIM0).subscribe(slow);
            assertThat(slow.awaitValue(BLOCK)).isTrue();
            churn(h, a, 2);
            h.settle();
            slow.request(2);
            h.settle();
            assertThat(slow.values).hasSize(3);
            assertThat(slow.error.get()).isNull();
            assertThat(slow.threads).as("thread of the snapshot and of 2 buffered transitions requested from %s",
                    Thread.currentThread().getName()).containsOnly(h.loop.getName());
        }
    }

    /**
     * Requests racing new events from many threads: onNext must stay serial (rule 1.3) and in order, whichever thread
     * delivers it.
     */
    @Test
    void requestsFromManyThreadsRacingNewEventsKeepOnNextSerialAndOrdered() throws Exception {
        try (Harness h = Harness.virtualTime(1, b -> b.eventBufferSize(100_000))) {
            ClientSession a = h.session("Alpha");
            java.util.concurrent.atomic.AtomicInteger inside = new java.util.concurrent.atomic.AtomicInteger();
            java.util.concurrent.atomic.AtomicInteger overlaps = new java.util.concurrent.atomic.AtomicInteger();
            java.util.concurrent.atomic.AtomicInteger disorder = new java.util.concurrent.atomic.AtomicInteger();
            java.util.concurrent.atomic.AtomicReference<LockTransition> last = new java.util.concurrent.atomic.AtomicReference<>();
            java.util.concurrent.atomic.AtomicLong received = new java.util.concurrent.atomic.AtomicLong();
            java.util.concurrent.atomic.AtomicReference<Throwable> failed = new java.util.concurrent.atomic.AtomicReference<>();
            java.util.concurrent.atomic.AtomicReference<org.reactivestreams.Subscription> sub = new java.util.concurrent.atomic.AtomicReference<>();
            h.agent.lockTransitions(SIM0).subscribe(new org.reactivestreams.Subscriber<LockTransition>() {
                @Override
                public void onSubscribe(org.reactivestreams.Subscription s) {
                    sub.set(s);
                    s.request(1);
                }

                @Override
                public void onNext(LockTransition t) {
                    if (inside.incrementAndGet() > 1) {
                        overlaps.incrementAndGet();
                    }
                    LockTransition before = last.getAndSet(t);
                    if (before != null && !before.to().equals(t.from())) {
                        disorder.incrementAndGet();
                    }
                    received.incrementAndGet();
                    Thread.onSpinWait();
                    inside.decrementAndGet();
                }

                @Override
                public void onError(Throwable t) {
                    failed.set(t);
                }

                @Override
                public void onComplete() {
                }
            });
            int transitions = 4000;
            java.util.concurrent.atomic.AtomicBoolean producing = new java.util.concurrent.atomic.AtomicBoolean(true);
            List<Thread> requesters = new java.util.ArrayList<>();
            for (int i = 0; i < 4; i++) {
                Thread t = new Thread(() -> {
                    while (producing.get() || received.get() < transitions + 1) {
                        sub.get().request(1);
                        if (failed.get() != null) {
                            return;
                        }
                        java.util.concurrent.locks.LockSupport.parkNanos(20_000);
                    }
                });
                requesters.add(t);
                t.start();
            }
            churn(h, a, transitions);
            producing.set(false);
            for (Thread t : requesters) {
                t.join(20_000);
            }
            assertThat(failed.get()).isNull();
            assertThat(received.get()).isEqualTo(transitions + 1);
            assertThat(overlaps.get()).as("concurrent onNext calls").isZero();
            assertThat(disorder.get()).as("transitions out of order").isZero();
        }
    }
}
