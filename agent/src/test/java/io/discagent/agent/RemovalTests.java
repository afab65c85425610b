package io.discagent.agent;

import static io.discagent.agent.TestAgent.SIM0;
import static io.discagent.agent.TestAgent.SIM1;
import static org.assertj.core.api.Assertions.assertThat;

import io.discagent.agent.backend.simulated.Simulator.Operation;
import io.discagent.api.AcquireOptions;
import io.discagent.api.ClientSession;
import io.discagent.api.LockGrant;
import io.discagent.api.LockState;
import io.discagent.api.error.HResult;
import io.discagent.api.error.LockNotHeldException;
import io.discagent.api.error.RecorderRemovedException;
import io.discagent.api.event.DeviceEvent;
import io.discagent.api.event.LockTransition;
import io.discagent.api.event.MediaChangedEvent;
import io.discagent.api.event.MediaChangedEvent.MediaState;
import io.discagent.api.event.RecorderArrivedEvent;
import io.discagent.api.event.RecorderEvent;
import io.discagent.api.event.RecorderRemovedEvent;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.subscriber.TestSubscriber;

/** A recorder that goes away while held or awaited, and comes back. */
class RemovalTests {

    private static final Duration WAIT = Duration.ofSeconds(5);

    private final TestAgent t = TestAgent.start();

    @AfterEach
    void close() {
        t.close();
    }

    @Test
    void removalWhileHeldTellsTheHolderFailsTheWaitersAndLeavesOtherRecordersAlone() {
        TestSubscriber<RecorderEvent> events = TestSubscriber.create();
        t.agent.events().subscribe(events);
        ClientSession holder = t.session("Burner");
        holder.acquire(SIM0).block();
        holder.acquire(SIM0).block();
        ClientSession other = t.session("Other");
        other.acquire(SIM1).block();
        TestSubscriber<LockGrant> waiter1 = TestSubscriber.create();
        TestSubscriber<LockGrant> waiter2 = TestSubscriber.create();
        t.session("W1").acquire(SIM0, AcquireOptions.waitUpTo(Duration.ofMinutes(1))).subscribe(waiter1);
        t.session("W2").acquire(SIM0, AcquireOptions.waitIndefinitely()).subscribe(waiter2);
        t.settle();

        t.sim.removeRecorder(SIM0);
        t.settle();

        for (TestSubscriber<LockGrant> w : List.of(waiter1, waiter2)) {
            assertThat(w.expectTerminalError()).isInstanceOfSatisfying(RecorderRemovedException.class, e -> {
                assertThat(e.hresult()).isEqualTo(HResult.HRESULT_FROM_WIN32_ERROR_DEV_NOT_EXIST);
                assertThat(e.hresult().code()).isEqualTo(0x80070037);
                assertThat(e.isTransient()).isFalse();
            });
        }
        assertThat(holder.lockCount(SIM0).block()).isZero();
        assertThat(holder.release(SIM0).onErrorResume(RecorderRemovedException.class, e -> Mono.just(-1)).block())
                .isEqualTo(-1);
        List<RecorderEvent> seen = events.getReceivedOnNext();
        LockTransition removedTransition = seen.stream().filter(LockTransition.class::isInstance)
                .map(LockTransition.class::cast).filter(e -> e.cause() == LockTransition.Cause.DEVICE_REMOVED)
                .findFirst().orElseThrow();
        assertThat(removedTransition.from()).isEqualTo(LockState.held("Burner", holder.id(), 2));
        assertThat(removedTransition.to()).isEqualTo(LockState.FREE);
        RecorderRemovedEvent removed = seen.stream().filter(RecorderRemovedEvent.class::isInstance)
                .map(RecorderRemovedEvent.class::cast).findFirst().orElseThrow();
        assertThat(removed.lastOwner()).isEqualTo("Burner");
        assertThat(removed.failedWaiters()).isEqualTo(2);
        assertThat(removed.sequence()).isGreaterThan(removedTransition.sequence());
        // other recorders are untouched
        assertThat(other.lockCount(SIM1).block()).isEqualTo(1);
        assertThat(t.sim.state(SIM1).nativeOwner()).isEqualTo("Other");
        assertThat(t.agent.recorders().block()).extracting(r -> r.id()).containsExactly(SIM1);
    }

    @Test
    void aWithLockFailsWhenItsRecorderIsRemovedAndReleasesNothingTwice() {
        ClientSession holder = t.session("Burner");
        TestSubscriber<Long> burn = TestSubscriber.create();
        holder.withLock(SIM0, AcquireOptions.DEFAULT, grant -> Flux.<Long>never()).subscribe(burn);
        t.settle();
        assertThat(t.sim.state(SIM0).nativeOwner()).isEqualTo("Burner");
        t.sim.removeRecorder(SIM0);
        t.settle();
        assertThat(burn.expectTerminalError()).isInstanceOf(RecorderRemovedException.class);
        assertThat(holder.lockCount(SIM0).block()).isZero();
    }

    @Test
    void aRecorderThatArrivesAgainIsUsableFromACleanState() {
        TestSubscriber<DeviceEvent> devices = TestSubscriber.create();
        t.agent.deviceEvents().subscribe(devices);
        ClientSession holder = t.session("Burner");
        holder.acquire(SIM0).block();
        holder.acquire(SIM0).block();
        t.sim.removeRecorder(SIM0);
        t.settle();
        t.sim.addRecorder("sim-0");
        t.settle();
        assertThat(devices.getReceivedOnNext()).extracting(e -> e.getClass().getSimpleName())
                .containsExactly("RecorderRemovedEvent", "RecorderArrivedEvent");
        RecorderArrivedEvent arrived = (RecorderArrivedEvent) devices.getReceivedOnNext().get(1);
        assertThat(arrived.info().lockState()).isEqualTo(LockState.FREE);
        assertThat(holder.lockCount(SIM0).block()).isZero();
        assertThat(holder.acquire(SIM0).block().lockCount()).isEqualTo(1);
        assertThat(holder.release(SIM0).block()).isZero();
        assertThat(t.sim.state(SIM0).nativeOwner()).isNull();
    }

    @Test
    void aNativeCallThatSaysTheDeviceIsGoneRemovesTheRecorder() {
        TestSubscriber<DeviceEvent> devices = TestSubscriber.create();
        t.agent.deviceEvents().subscribe(devices);
        t.sim.failNext(SIM0, Operation.ACQUIRE, HResult.HRESULT_FROM_WIN32_ERROR_DEV_NOT_EXIST, 1);
        TestSubscriber<LockGrant> probe = TestSubscriber.create();
        t.session("A").acquire(SIM0).subscribe(probe);
        t.settle();
        assertThat(probe.expectTerminalError()).isInstanceOf(RecorderRemovedException.class);
        assertThat(devices.getReceivedOnNext()).singleElement().isInstanceOf(RecorderRemovedEvent.class);
        assertThat(t.agent.recorders().block()).extracting(r -> r.id()).containsExactly(SIM1);
    }

    @Test
    void removalDuringAHungCallFailsItAtOnce() {
        t.sim.hangNext(SIM0, Operation.ACQUIRE, 1);
        TestSubscriber<LockGrant> probe = TestSubscriber.create();
        t.session("A").acquire(SIM0).subscribe(probe);
        t.settle();
        t.sim.removeRecorder(SIM0);
        t.settle();
        assertThat(probe.expectTerminalError()).isInstanceOf(RecorderRemovedException.class);
    }

    @Test
    void mediaChangesArePublished() {
        TestSubscriber<DeviceEvent> devices = TestSubscriber.create();
        t.agent.deviceEvents().subscribe(devices);
        t.settle();
        t.sim.changeMedia(SIM1, MediaState.TRAY_OPEN);
        t.sim.changeMedia(SIM1, MediaState.TRAY_OPEN);
        t.sim.changeMedia(SIM1, MediaState.MEDIA_PRESENT);
        t.settle();
        assertThat(devices.getReceivedOnNext()).extracting(e -> ((MediaChangedEvent) e).state())
                .containsExactly(MediaState.TRAY_OPEN, MediaState.MEDIA_PRESENT);
    }

    @Test
    void releasingAfterTheRecorderCameBackIsNotAReleaseOfTheNewHold() {
        ClientSession a = t.session("A");
        a.acquire(SIM0).block();
        t.sim.removeRecorder(SIM0);
        t.settle();
        t.sim.addRecorder("sim-0");
        t.settle();
        assertThat(a.release(SIM0).onErrorResume(LockNotHeldException.class, e -> Mono.just(-1)).block(WAIT))
                .isEqualTo(-1);
    }
}
