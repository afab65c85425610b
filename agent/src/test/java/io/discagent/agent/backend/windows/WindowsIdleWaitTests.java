package io.discagent.agent.backend.windows;

import static org.assertj.core.api.Assertions.assertThat;

import io.discagent.agent.backend.windows.FakeMachine.Delivery;
import io.discagent.api.ClientSession;
import io.discagent.api.RecorderId;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * How idle workers wait (issue: no more 10 ms polling): each waits in {@code MsgWaitForMultipleObjectsEx} for as long
 * as its idle interval, and wakes at once for what concerns it: a window message (an event IMAPI2 marshals to the
 * control worker), a call queued by the agent (the wake event is set), a device notice from a foreign thread or a dead
 * handle (the backend wakes the control worker). The idle interval here is an hour, so nothing below can be the clock.
 */
class WindowsIdleWaitTests extends ComLayerTestBase {

    static final String ID = "REC-A";
    static final String NEW = "REC-NEW";
    static final String CONTROL = "discagent-native-control";
    static final Map<String, String> AN_HOUR = Map.of(WindowsSettings.PUMP_INTERVAL_MILLIS, "3600000",
            WindowsSettings.POLL_DEVICES_MILLIS, "0");

    @Test
    void aMessageWakesTheControlWorker_whichPumpsItAndHandlesTheEvent() {
        FakeMachine machine = machineWith(ID);
        machine.delivery = Delivery.WHEN_PUMPED;
        try (WindowsTestAgent t = WindowsTestAgent.start(machine, "agent", AN_HOUR);
                EventLog events = new EventLog(t.agent)) {
            t.settle();
            WindowsTestAgent.await(() -> machine.isWaiting(CONTROL), "the control worker waits");
            int before = waitsOf(machine, CONTROL).size();
            machine.plugIn(NEW); // queued as a message for the control worker, which is waiting
            events.awaitArrivals(RecorderId.of(NEW), 1);
            assertThat(waitsOf(machine, CONTROL).get(before).wakeup()).isEqualTo(Imapi2.Wakeup.MESSAGE);
        }
        assertThat(machine.deliveries()).containsExactly("NotifyDeviceAdded " + NEW + " via INVOKE on " + CONTROL);
        assertThat(machine.violations()).isEmpty();
    }

    @Test
    void aCallWakesARecorderWorker() {
        FakeMachine machine = machineWith(ID);
        try (WindowsTestAgent t = WindowsTestAgent.start(machine, "agent", AN_HOUR)) {
            t.settle();
            String worker = "discagent-native-" + ID;
            WindowsTestAgent.await(() -> machine.isWaiting(worker), "the recorder worker waits");
            int before = waitsOf(machine, worker).size();
            ClientSession session = t.session("Kiosk");
            assertThat(session.acquire(RecorderId.of(ID)).block().lockCount()).isEqualTo(1);
            assertThat(waitsOf(machine, worker).get(before).wakeup()).isEqualTo(Imapi2.Wakeup.SIGNALLED);
            assertThat(session.release(RecorderId.of(ID)).block()).isZero();
        }
        assertThat(machine.violations()).isEmpty();
    }

    @Test
    void anEventOnAForeignThreadWakesTheControlWorker() {
        FakeMachine machine = machineWith(ID);
        machine.delivery = Delivery.IMMEDIATE;
        try (WindowsTestAgent t = WindowsTestAgent.start(machine, "agent", AN_HOUR);
                EventLog events = new EventLog(t.agent)) {
            t.settle();
            WindowsTestAgent.await(() -> machine.isWaiting(CONTROL), "the control worker waits");
            int before = waitsOf(machine, CONTROL).size();
            machine.plugIn(NEW); // the sink runs here; the backend sets the control worker's wake event
            events.awaitArrivals(RecorderId.of(NEW), 1);
            assertThat(waitsOf(machine, CONTROL).get(before).wakeup()).isEqualTo(Imapi2.Wakeup.SIGNALLED);
        }
        assertThat(machine.violations()).isEmpty();
    }

    @Test
    void aDeadHandleWakesTheControlWorkerToEnumerateAgain() {
        FakeMachine machine = machineWith(ID);
        try (WindowsTestAgent t = WindowsTestAgent.start(machine, "agent", AN_HOUR);
                EventLog events = new EventLog(t.agent)) {
            ClientSession session = t.session("A");
            session.acquire(RecorderId.of(ID)).block();
            t.settle();
            WindowsTestAgent.await(() -> machine.isWaiting(CONTROL), "the control worker waits");
            int before = waitsOf(machine, CONTROL).size();
            machine.invalidateHandles(ID);
            assertThat(session.release(RecorderId.of(ID)).block()).isZero(); // the handle is closed: forgotten
            // the re-enumeration, without waiting for the hour
            WindowsTestAgent.await(() -> waitsOf(machine, CONTROL).size() > before, "the control worker woke up");
            assertThat(waitsOf(machine, CONTROL).get(before).wakeup()).isEqualTo(Imapi2.Wakeup.SIGNALLED);
            // a dead handle is not a dead device: the agent keeps the recorder and opens a fresh object for it
            assertThat(session.acquire(RecorderId.of(ID)).block().lockCount()).isEqualTo(1);
            assertThat(events.removals(RecorderId.of(ID))).isZero();
        }
        assertThat(machine.violations()).isEmpty();
    }

    @Test
    void everyIdleWaitAsksForTheWholeInterval_withTheFlagsThatSeeQueuedMessages() {
        FakeMachine machine = machineWith(ID);
        try (WindowsTestAgent t = WindowsTestAgent.start(machine)) {
            t.session("Kiosk").acquire(RecorderId.of(ID)).block();
            t.awaitControlIdle(3);
        }
        List<FakeMachine.Wait> waits = machine.waits();
        assertThat(waits).isNotEmpty().allSatisfy(w -> assertThat(w.millis())
                .isEqualTo((int) WindowsSettings.DEFAULTS.pumpInterval().toMillis()));
        assertThat(machine.violations()).isEmpty(); // the fake checks QS_ALLINPUT and MWMO_INPUTAVAILABLE
    }

    private static List<FakeMachine.Wait> waitsOf(FakeMachine machine, String thread) {
        return machine.waits().stream().filter(w -> w.thread().equals(thread)).toList();
    }
}
