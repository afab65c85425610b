package io.discagent.agent;

import static io.discagent.agent.TestAgent.SIM0;
import static io.discagent.agent.TestAgent.SIM1;
import static org.assertj.core.api.Assertions.assertThat;

import io.discagent.api.ClientSession;
import io.discagent.api.LockState;
import io.discagent.api.RecorderId;
import io.discagent.api.error.EventOverflowException;
import io.discagent.api.error.RecorderRemovedException;
import io.discagent.api.event.LockTransition;
import io.discagent.api.event.LockTransition.Cause;
import io.discagent.api.event.RecorderEvent;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.test.StepVerifier;
import reactor.test.subscriber.TestSubscriber;

/** The hot streams: current state first, every later transition once, an explicit policy for slow subscribers. */
class StreamTests {

    private final TestAgent t = TestAgent.start(2, b -> b.eventBufferSize(8));

    @AfterEach
    void close() {
        t.close();
    }

    @Test
    void aSubscriberSeesTheCurrentStateThenEveryTransitionWithItsCause() {
        ClientSession a = t.session("Kiosk A");
        a.acquire(SIM0).block();
        TestSubscriber<LockTransition> probe = TestSubscriber.create();
        t.agent.lockTransitions(SIM0).subscribe(probe);
        t.settle();
        a.acquire(SIM0).block();
        a.release(SIM0).block();
        a.release(SIM0).block();
        ClientSession b = t.session("Kiosk B");
        b.acquire(SIM0).block();
        b.close().block();
        t.settle();
        List<LockTransition> seen = probe.getReceivedOnNext();
        assertThat(seen).extracting(LockTransition::cause).containsExactly(Cause.SNAPSHOT, Cause.ACQUIRED,
                Cause.RELEASED, Cause.RELEASED, Cause.ACQUIRED, Cause.SESSION_CLOSED);
        assertThat(seen).extracting(tr -> tr.to().count()).containsExactly(1, 2, 1, 0, 1, 0);
        assertThat(seen.get(0).from()).isEqualTo(seen.get(0).to());
        assertThat(seen.get(4).to()).isEqualTo(LockState.held("Kiosk B", b.id(), 1));
        for (int i = 2; i < seen.size(); i++) {
            assertThat(seen.get(i).sequence()).isEqualTo(seen.get(i - 1).sequence() + 1);
            assertThat(seen.get(i).from()).isEqualTo(seen.get(i - 1).to());
        }
    }

    @Test
    void theAllRecordersStreamStartsWithEveryRecordersState() {
        t.session("A").acquire(SIM1).block();
        StepVerifier.create(t.agent.lockTransitions().take(2))
                .assertNext(tr -> assertThat(tr.recorder()).isEqualTo(SIM0))
                .assertNext(tr -> {
                    assertThat(tr.recorder()).isEqualTo(SIM1);
                    assertThat(tr.to().owner()).isEqualTo("A");
                    assertThat(tr.cause()).isEqualTo(Cause.SNAPSHOT);
                })
                .verifyComplete();
    }

    @Test
    void aPerRecorderStreamFiltersAndAnUnknownRecorderFails() {
        TestSubscriber<LockTransition> only1 = TestSubscriber.create();
        t.agent.lockTransitions(SIM1).subscribe(only1);
        t.session("A").acquire(SIM0).block();
        t.session("B").acquire(SIM1).block();
        t.settle();
        assertThat(only1.getReceivedOnNext()).allSatisfy(tr -> assertThat(tr.recorder()).isEqualTo(SIM1)).hasSize(2);
        StepVerifier.create(t.agent.lockTransitions(RecorderId.of("nope")))
                .expectError(RecorderRemovedException.class).verify(Duration.ofSeconds(5));
    }

    @Test
    void aSubscriberThatDoesNotKeepUpIsEndedWithATypedErrorAndOthersMissNothing() {
        TestSubscriber<LockTransition> slow = TestSubscriber.builder().initialRequest(1).build();
        TestSubscriber<LockTransition> fast = TestSubscriber.create();
        t.agent.lockTransitions(SIM0).subscribe(slow);
        t.agent.lockTransitions(SIM0).subscribe(fast);
        t.settle();
        ClientSession a = t.session("A");
        for (int i = 0; i < 10; i++) {
            a.acquire(SIM0).block();
        }
        t.settle();
        // the slow subscriber was dropped from the hub at the overflow; it gets what fit in its buffer, then the error
        assertThat(t.agent.activity().block().subscribers()).isEqualTo(1);
        assertThat(slow.getReceivedOnNext()).hasSize(1);
        slow.request(100); // delivered from the event loop, not from this thread
        t.settle();
        assertThat(slow.getReceivedOnNext()).hasSize(1 + 8);
        assertThat(slow.getReceivedOnNext()).extracting(tr -> tr.to().count()).containsExactly(0, 1, 2, 3, 4, 5, 6,
                7, 8);
        assertThat(slow.expectTerminalError()).isInstanceOfSatisfying(EventOverflowException.class,
                e -> assertThat(e.hresult().code()).isEqualTo(0x8007006F));
        assertThat(fast.getReceivedOnNext()).hasSize(11);
        assertThat(fast.isTerminated()).isFalse();
        // subscribing again starts from the current state
        StepVerifier.create(t.agent.lockTransitions(SIM0).take(1))
                .assertNext(tr -> assertThat(tr.to().count()).isEqualTo(10)).verifyComplete();
    }

    @Test
    void aSubscriberWithinItsBufferGetsEverythingWhenItFinallyRequests() {
        TestSubscriber<LockTransition> lazy = TestSubscriber.builder().initialRequest(0).build();
        t.agent.lockTransitions(SIM0).subscribe(lazy);
        t.settle();
        ClientSession a = t.session("A");
        for (int i = 0; i < 7; i++) {
            a.acquire(SIM0).block();
        }
        t.settle();
        assertThat(lazy.getReceivedOnNext()).isEmpty();
        lazy.request(100); // delivered from the event loop
        t.settle();
        assertThat(lazy.getReceivedOnNext()).hasSize(8);
        assertThat(lazy.isTerminated()).isFalse();
    }

    @Test
    void sequencesStartAtTheRunsStartTimeSoSuccessiveRunsDoNotOverlap() {
        reactor.test.scheduler.VirtualTimeScheduler later = reactor.test.scheduler.VirtualTimeScheduler.create();
        later.advanceTimeTo(java.time.Instant.ofEpochSecond(5));
        DiscAgent second = DiscAgent.start(AgentOptions.builder().backend(
                new io.discagent.agent.backend.simulated.SimulatedBackend(1)).timeScheduler(later)
                .mediaPollInterval(Duration.ZERO).build()).block(Duration.ofSeconds(10));
        try {
            t.session("A").acquire(SIM0).block();
            long firstRunLast = t.agent.lockTransitions(SIM0).blockFirst().sequence();
            long secondRunFirst = second.lockTransitions().blockFirst().sequence();
            assertThat(firstRunLast).isLessThan(1000);
            assertThat(secondRunFirst).isEqualTo(5_000_000L + 1);
        } finally {
            second.close().block(Duration.ofSeconds(10));
            later.dispose();
        }
    }

    @Test
    void theStreamsCompleteWhenTheAgentCloses() {
        TestAgent other = TestAgent.start();
        TestSubscriber<RecorderEvent> events = TestSubscriber.create();
        other.agent.events().subscribe(events);
        other.settle();
        other.close();
        assertThat(events.isTerminatedComplete()).isTrue();
    }
}
