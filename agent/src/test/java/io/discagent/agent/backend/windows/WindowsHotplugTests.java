package io.discagent.agent.backend.windows;

import static io.discagent.agent.backend.windows.Imapi2Call.ADVISE;
import static io.discagent.agent.backend.windows.Imapi2Call.INITIALIZE_DISC_RECORDER;
import static io.discagent.agent.backend.windows.Imapi2Call.RELEASE_EXCLUSIVE_ACCESS;
import static org.assertj.core.api.Assertions.assertThat;

import io.discagent.agent.backend.windows.FakeMachine.Delivery;
import io.discagent.agent.backend.windows.FakeMachine.EventPath;
import io.discagent.api.AcquireOptions;
import io.discagent.api.ClientSession;
import io.discagent.api.RecorderId;
import io.discagent.api.error.RecorderException;
import io.discagent.api.error.RecorderRemovedException;
import io.discagent.api.event.RecorderArrivedEvent;
import io.discagent.api.event.RecorderRemovedEvent;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;

/**
 * Arrival and removal: IMAPI2's {@code DDiscMaster2Events} reaching the agent through our native sink (whichever
 * entry IMAPI2 calls, on whichever thread), and the {@code Count}/{@code Item} polling fallback.
 */
class WindowsHotplugTests extends ComLayerTestBase {

    static final String ID = "REC-A";
    static final String NEW = "\\\\?\\usbstor#cdrom&ven_pioneer&prod_bdr-xd07#9&2b&0#{53f56308-b6bf-11d0-94f2-00a0c91efb8b}";
    static final String CONTROL = "discagent-native-control";

    @ParameterizedTest
    @EnumSource(EventPath.class)
    void anArrivalReachesTheAgent_throughEitherEntryOfTheSink_whenTheControlWorkerPumps(EventPath path) {
        FakeMachine machine = machineFiring(path, Delivery.WHEN_PUMPED);
        try (WindowsTestAgent t = WindowsTestAgent.start(machine); EventLog events = new EventLog(t.agent)) {
            machine.plugIn(NEW);
            events.awaitArrivals(RecorderId.of(NEW), 1);
            RecorderArrivedEvent arrived = events.of(RecorderArrivedEvent.class).get(0);
            assertThat(arrived.info().vendor()).isEqualTo("HL-DT-ST");
            assertThat(arrived.info().backend()).isEqualTo("windows");
            assertThat(t.session("Kiosk").acquire(RecorderId.of(NEW)).block().lockCount()).isEqualTo(1);
            assertThat(t.backend.eventDeliveries()).isEqualTo(path == EventPath.INVOKE
                    ? new WindowsBackend.EventDeliveries(true, 1, 0) : new WindowsBackend.EventDeliveries(true, 0, 1));
        }
        assertThat(machine.deliveries()).containsExactly("NotifyDeviceAdded " + NEW + " via " + path + " on "
                + CONTROL);
        assertThat(machine.violations()).isEmpty();
    }

    @ParameterizedTest
    @EnumSource(EventPath.class)
    void anEventFiredOnAForeignThreadIsHandledOnTheControlWorker(EventPath path) {
        FakeMachine machine = machineFiring(path, Delivery.IMMEDIATE);
        try (WindowsTestAgent t = WindowsTestAgent.start(machine); EventLog events = new EventLog(t.agent)) {
            machine.plugIn(NEW); // the sink runs here, on the test thread, as a free-threaded source would call it
            events.awaitArrivals(RecorderId.of(NEW), 1);
        }
        assertThat(machine.deliveries()).containsExactly("NotifyDeviceAdded " + NEW + " via " + path + " on "
                + Thread.currentThread().getName());
        // The sink only queued the id: the probe of the new device ran on the control worker.
        assertThat(machine.calls(c -> c.call() == INITIALIZE_DISC_RECORDER && c.argument().equals(NEW)))
                .extracting(FakeMachine.Call::thread).first().isEqualTo(CONTROL);
        assertThat(machine.violations()).isEmpty();
    }

    @Test
    void aRemovalWhileHeldFailsTheHolderWithDevNotExist() {
        FakeMachine machine = machineWith(ID);
        try (WindowsTestAgent t = WindowsTestAgent.start(machine); EventLog events = new EventLog(t.agent)) {
            ClientSession session = t.session("Kiosk");
            AtomicReference<Throwable> holderFailure = new AtomicReference<>();
            session.withLock(RecorderId.of(ID), AcquireOptions.DEFAULT, grant -> Flux.never())
                    .subscribe(v -> { }, holderFailure::set);
            WindowsTestAgent.await(() -> "Kiosk".equals(machine.holderName(ID)), "the lock is held");
            int releasesBefore = machine.calls(c -> c.call() == RELEASE_EXCLUSIVE_ACCESS).size();

            machine.unplug(ID);
            events.awaitRemovals(RecorderId.of(ID), 1);
            WindowsTestAgent.await(() -> holderFailure.get() != null, "the holder heard of it");
            assertThat(holderFailure.get()).isInstanceOfSatisfying(RecorderRemovedException.class,
                    e -> assertThat(((RecorderException) e).hresult().code()).isEqualTo(0x80070037));
            assertThat(events.of(RecorderRemovedEvent.class).get(0).lastOwner()).isEqualTo("Kiosk");
            assertThat(t.recorders()).isEmpty();
            assertThat(session.lockCount(RecorderId.of(ID)).block()).isZero();
            WindowsTestAgent.await(() -> machine.objectsAlive(ID) == 0, "the dead recorder's object is released");
            assertThat(machine.calls(c -> c.call() == RELEASE_EXCLUSIVE_ACCESS)).hasSize(releasesBefore);
        }
        assertThat(machine.violations()).isEmpty();
    }

    @Test
    void aRecorderThatComesBackGetsAFreshObject() {
        FakeMachine machine = machineWith(ID);
        try (WindowsTestAgent t = WindowsTestAgent.start(machine); EventLog events = new EventLog(t.agent)) {
            t.session("A").acquire(RecorderId.of(ID)).block();
            machine.unplug(ID);
            events.awaitRemovals(RecorderId.of(ID), 1);
            WindowsTestAgent.await(() -> machine.objectsAlive(ID) == 0, "the removed recorder's object is released");
            machine.plugIn(ID);
            events.awaitArrivals(RecorderId.of(ID), 1);
            assertThat(t.session("B").acquire(RecorderId.of(ID)).block().lockCount()).isEqualTo(1);
            assertThat(machine.holderName(ID)).isEqualTo("B");
        }
        assertThat(machine.maxObjectsAlive(ID)).isEqualTo(1);
        assertThat(machine.violations()).isEmpty();
    }

    @Test
    void duplicateAndUnknownNoticesChangeNothing() {
        FakeMachine machine = machineWith(ID);
        try (WindowsTestAgent t = WindowsTestAgent.start(machine); EventLog events = new EventLog(t.agent)) {
            machine.plugIn(NEW);
            events.awaitArrivals(RecorderId.of(NEW), 1);
            machine.plugIn(NEW); // again, already known
            machine.unplug(ID);
            events.awaitRemovals(RecorderId.of(ID), 1);
            machine.unplug(ID); // again, already gone
            t.awaitControlIdle(3);
            assertThat(events.arrivals(RecorderId.of(NEW))).isEqualTo(1);
            assertThat(events.removals(RecorderId.of(ID))).isEqualTo(1);
            assertThat(t.recorders()).containsExactly(RecorderId.of(NEW));
        }
    }

    @Test
    void pollingFindsArrivalsAndRemovals_whenEventsAreOff() {
        FakeMachine machine = machineWith(ID);
        Map<String, String> polling = Map.of(WindowsSettings.DEVICE_EVENTS, "false",
                WindowsSettings.POLL_DEVICES_MILLIS, "1000");
        try (WindowsTestAgent t = WindowsTestAgent.start(machine, "agent", polling);
                EventLog events = new EventLog(t.agent)) {
            machine.setPresentSilently(NEW, true);
            t.awaitControlIdle(3);
            t.advanceClock(Duration.ofMillis(999));
            t.awaitControlIdle(3);
            assertThat(t.recorders()).containsExactly(RecorderId.of(ID)); // not due yet

            t.advanceClock(Duration.ofMillis(1));
            events.awaitArrivals(RecorderId.of(NEW), 1);

            machine.setPresentSilently(ID, false);
            t.advanceClock(Duration.ofSeconds(1));
            events.awaitRemovals(RecorderId.of(ID), 1);
            assertThat(t.recorders()).containsExactly(RecorderId.of(NEW));
        }
        assertThat(machine.calls(c -> c.call() == ADVISE)).isEmpty();
        assertThat(machine.violations()).isEmpty();
    }

    @Test
    void whenEventsCannotBeSubscribedPollingStartsByItself() {
        FakeMachine machine = machineWith(ID);
        machine.adviseResult = 0x80040202; // CONNECT_E_CANNOTCONNECT
        try (WindowsTestAgent t = WindowsTestAgent.start(machine); EventLog events = new EventLog(t.agent)) {
            machine.plugIn(NEW); // nobody is advised: no event
            t.awaitControlIdle(3);
            assertThat(events.arrivals(RecorderId.of(NEW))).isZero();
            t.advanceClock(WindowsSettings.FALLBACK_POLL);
            events.awaitArrivals(RecorderId.of(NEW), 1);
        }
        assertThat(machine.calls(c -> c.call() == ADVISE)).hasSize(1);
        assertThat(machine.advisedSinks()).isZero();
        assertThat(machine.violations()).isEmpty();
    }

    @Test
    void eventsAndPollingTogetherReportADeviceOnce() {
        FakeMachine machine = machineWith(ID);
        try (WindowsTestAgent t = WindowsTestAgent.start(machine, "agent",
                Map.of(WindowsSettings.POLL_DEVICES_MILLIS, "500"));
                EventLog events = new EventLog(t.agent)) {
            machine.plugIn(NEW);
            events.awaitArrivals(RecorderId.of(NEW), 1);
            t.advanceClock(Duration.ofSeconds(1));
            t.awaitControlIdle(3);
            assertThat(events.arrivals(RecorderId.of(NEW))).isEqualTo(1);
        }
    }

    @Test
    void aDeviceThatArrivesBeforeTheSubscriptionIsFoundByTheCatchUpDiff() throws Exception {
        FakeMachine machine = machineWith(ID);
        FakeMachine.Hang advise = machine.hangNext(ADVISE);
        CompletableFuture<WindowsTestAgent> starting = CompletableFuture.supplyAsync(
                () -> WindowsTestAgent.start(machine));
        assertThat(advise.awaitEntered()).isTrue();
        machine.setPresentSilently(NEW, true); // between enumerate() and the subscription: no event for it
        advise.release();
        try (WindowsTestAgent t = starting.get(WindowsTestAgent.BLOCK.toSeconds(), TimeUnit.SECONDS)) {
            WindowsTestAgent.await(() -> t.recorders().contains(RecorderId.of(NEW)), "the catch-up found it");
        }
        assertThat(machine.violations()).isEmpty();
    }

    @Test
    void closingUnadvisesAndLetsGoOfTheSink() {
        FakeMachine machine = machineWith(ID);
        WindowsTestAgent started;
        try (WindowsTestAgent t = WindowsTestAgent.start(machine)) {
            assertThat(machine.advisedSinks()).isEqualTo(1);
            assertThat(t.backend.eventDeliveries().advised()).isTrue();
            started = t;
        }
        assertThat(started.backend.eventDeliveries().advised()).isFalse();
        assertThat(machine.advisedSinks()).isZero();
        assertThat(machine.violations()).isEmpty(); // including the sink's count back at 1 after Unadvise
    }

    @Test
    void theSinkOutlivesTheSource_soALateEventFindsItAlive() {
        FakeMachine machine = machineWith(ID);
        machine.lateEventAtSourceRelease = true; // it calls the sink once more when the master is released
        ComEventSink sink;
        try (WindowsTestAgent t = WindowsTestAgent.start(machine)) {
            sink = t.backend.eventSink();
            assertThat(sink).isNotNull();
        }
        WindowsTestAgent.await(sink::isDisposed, "the control worker left its apartment and let go of the sink");
        assertThat(sink.deliveriesThroughInvoke()).isEqualTo(1); // the late call, answered
        assertThat(sink.deliveriesAfterDispose()).isZero(); // it came while the sink was still ours
        assertThat(sink.references()).isEqualTo(1);
        assertThat(machine.calls(c -> c.thread().equals(CONTROL)).stream().map(FakeMachine.Call::call).toList())
                .containsSubsequence(Imapi2Call.UNADVISE, Imapi2Call.RELEASE, Imapi2Call.CO_UNINITIALIZE);
        assertThat(machine.violations()).isEmpty();
    }

    private FakeMachine machineFiring(EventPath path, Delivery delivery) {
        FakeMachine machine = machineWith(ID);
        machine.eventPath = path;
        machine.delivery = delivery;
        return machine;
    }
}
