package io.discagent.agent.backend.windows;

import static io.discagent.agent.backend.windows.Imapi2Call.ACQUIRE_EXCLUSIVE_ACCESS;
import static io.discagent.agent.backend.windows.Imapi2Call.ADVISE;
import static io.discagent.agent.backend.windows.Imapi2Call.COUNT;
import static io.discagent.agent.backend.windows.Imapi2Call.CO_INITIALIZE_EX;
import static io.discagent.agent.backend.windows.Imapi2Call.CO_UNINITIALIZE;
import static io.discagent.agent.backend.windows.Imapi2Call.CREATE_DISC_MASTER;
import static io.discagent.agent.backend.windows.Imapi2Call.CREATE_DISC_RECORDER;
import static io.discagent.agent.backend.windows.Imapi2Call.INITIALIZE_DISC_RECORDER;
import static io.discagent.agent.backend.windows.Imapi2Call.IS_SUPPORTED_ENVIRONMENT;
import static io.discagent.agent.backend.windows.Imapi2Call.ITEM;
import static io.discagent.agent.backend.windows.Imapi2Call.PRODUCT_ID;
import static io.discagent.agent.backend.windows.Imapi2Call.PRODUCT_REVISION;
import static io.discagent.agent.backend.windows.Imapi2Call.RELEASE;
import static io.discagent.agent.backend.windows.Imapi2Call.RELEASE_EXCLUSIVE_ACCESS;
import static io.discagent.agent.backend.windows.Imapi2Call.UNADVISE;
import static io.discagent.agent.backend.windows.Imapi2Call.VENDOR_ID;
import static io.discagent.agent.backend.windows.Imapi2Call.VOLUME_PATH_NAMES;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.discagent.agent.spi.BackendRecorder;
import io.discagent.agent.spi.NativeWorkerKind;
import io.discagent.agent.spi.RecorderDescriptor;
import io.discagent.api.ClientSession;
import io.discagent.api.RecorderId;
import io.discagent.api.RecorderInfo;
import io.discagent.api.error.RecorderException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The apartment discipline, with the fake COM layer behind a real agent: every COM call on the worker that owns its
 * object, in order; each worker enters its apartment once at start and leaves it once at stop, after releasing
 * everything it made; one lasting recorder object per device.
 */
class WindowsApartmentTests extends ComLayerTestBase {

    /** Realistic IMAPI2 unique ids: they differ only in the middle, as device interface paths do. */
    static final String DRIVE_D = "\\\\?\\scsi#cdrom&ven_hl-dt-st&prod_bd-re_bh16ns40#4&2f1c0a&0&000100"
            + "#{53f56308-b6bf-11d0-94f2-00a0c91efb8b}";
    static final String DRIVE_E = "\\\\?\\usbstor#cdrom&ven_asus&prod_sdrw-08d2s-u#7&1a2b3c&0&000000"
            + "#{53f56308-b6bf-11d0-94f2-00a0c91efb8b}";
    static final String CONTROL = "discagent-native-control";

    @Test
    void everyCallRunsOnTheWorkerThatOwnsItsObjectInOrder() {
        FakeMachine machine = machineWith();
        machine.addDevice(DRIVE_D);
        machine.addDevice(DRIVE_E).paths = List.of("F:\\", "C:\\mnt\\disc\\");
        try (WindowsTestAgent t = WindowsTestAgent.start(machine)) {
            // the agent opens recorders in parallel, so it lists them in the order their opens completed
            assertThat(t.recorders()).containsExactlyInAnyOrder(RecorderId.of(DRIVE_D), RecorderId.of(DRIVE_E));
            RecorderInfo d = t.agent.recorder(RecorderId.of(DRIVE_D)).block();
            assertThat(d.vendor()).isEqualTo("HL-DT-ST");
            assertThat(d.product()).isEqualTo("BD-RE BH16NS40"); // trimmed
            assertThat(d.paths()).containsExactly("E:\\");
            assertThat(d.backend()).isEqualTo("windows");
            assertThat(t.agent.recorder(RecorderId.of(DRIVE_E)).block().paths())
                    .containsExactly("F:\\", "C:\\mnt\\disc\\");

            ClientSession session = t.session("Kiosk A");
            session.acquire(RecorderId.of(DRIVE_D)).block();
            session.acquire(RecorderId.of(DRIVE_D)).block();
            session.release(RecorderId.of(DRIVE_D)).block();
            session.release(RecorderId.of(DRIVE_D)).block();
        }
        assertThat(machine.violations()).isEmpty();
        Map<Long, List<FakeMachine.Call>> byThread = byThread(machine.calls());

        // The control worker: apartment, master, IsSupportedEnvironment once, Count/Item, a short-lived probe per
        // device, the event subscription, the catch-up diff; at the end Unadvise, Release, CoUninitialize.
        List<FakeMachine.Call> control = onlyThreadNamed(byThread, CONTROL);
        assertThat(control.subList(0, 5)).extracting(FakeMachine.Call::call)
                .containsExactly(CO_INITIALIZE_EX, CREATE_DISC_MASTER, IS_SUPPORTED_ENVIRONMENT, COUNT, ITEM);
        assertThat(control).filteredOn(c -> c.call() == IS_SUPPORTED_ENVIRONMENT).hasSize(1);
        assertThat(probeOf(control, DRIVE_D)).containsExactly(CREATE_DISC_RECORDER, INITIALIZE_DISC_RECORDER,
                VENDOR_ID, PRODUCT_ID, PRODUCT_REVISION, VOLUME_PATH_NAMES, RELEASE);
        assertThat(probeOf(control, DRIVE_E)).containsExactly(CREATE_DISC_RECORDER, INITIALIZE_DISC_RECORDER,
                VENDOR_ID, PRODUCT_ID, PRODUCT_REVISION, VOLUME_PATH_NAMES, RELEASE);
        assertThat(calls(control)).containsSubsequence(ADVISE, COUNT, UNADVISE, RELEASE, CO_UNINITIALIZE);
        assertThat(last(control)).isEqualTo(CO_UNINITIALIZE);

        // Each recorder's worker: its one lasting object, made, used and released there.
        List<FakeMachine.Call> driveD = workerOf(byThread, DRIVE_D);
        assertThat(calls(driveD)).containsExactly(CO_INITIALIZE_EX, CREATE_DISC_RECORDER, INITIALIZE_DISC_RECORDER,
                ACQUIRE_EXCLUSIVE_ACCESS, RELEASE_EXCLUSIVE_ACCESS, RELEASE, CO_UNINITIALIZE);
        assertThat(driveD.get(3).argument()).isEqualTo("Kiosk A");
        List<FakeMachine.Call> driveE = workerOf(byThread, DRIVE_E);
        assertThat(calls(driveE)).containsExactly(CO_INITIALIZE_EX, CREATE_DISC_RECORDER, INITIALIZE_DISC_RECORDER,
                RELEASE, CO_UNINITIALIZE);
        assertThat(driveD.get(0).threadId()).isNotEqualTo(driveE.get(0).threadId());

        // Exactly three workers entered an apartment, once each, and left it once each.
        assertThat(byThread).hasSize(3);
        for (List<FakeMachine.Call> thread : byThread.values()) {
            assertThat(thread).filteredOn(c -> c.call() == CO_INITIALIZE_EX).hasSize(1);
            assertThat(thread).filteredOn(c -> c.call() == CO_UNINITIALIZE).hasSize(1);
            assertThat(thread.get(0).call()).isEqualTo(CO_INITIALIZE_EX);
            assertThat(last(thread)).isEqualTo(CO_UNINITIALIZE);
        }
        assertThat(machine.maxObjectsAlive(DRIVE_D)).isEqualTo(1);
        assertThat(machine.maxObjectsAlive(DRIVE_E)).isEqualTo(1);
        assertThat(machine.objectsAlive(DRIVE_D)).isZero();
    }

    @Test
    void everyObjectIsCalledAndReleasedOnlyOnTheThreadThatMadeIt() {
        FakeMachine machine = machineWith();
        machine.addDevice(DRIVE_D);
        machine.addDevice(DRIVE_E);
        try (WindowsTestAgent t = WindowsTestAgent.start(machine)) {
            ClientSession a = t.session("A");
            ClientSession b = t.session("B");
            a.acquire(RecorderId.of(DRIVE_D)).block();
            b.acquire(RecorderId.of(DRIVE_E)).block();
            machine.plugIn("\\\\?\\ide#cdromnew#1#{53f56308-b6bf-11d0-94f2-00a0c91efb8b}");
            WindowsTestAgent.await(() -> t.recorders().size() == 3, "the new drive is known");
            a.close().block();
            b.close().block();
        }
        Map<Integer, Set<Long>> threadsPerObject = new LinkedHashMap<>();
        Map<Integer, Integer> releases = new LinkedHashMap<>();
        for (FakeMachine.Call call : machine.calls()) {
            if (call.object() != 0) {
                threadsPerObject.computeIfAbsent(call.object(), k -> new LinkedHashSet<>()).add(call.threadId());
                if (call.call() == RELEASE) {
                    releases.merge(call.object(), 1, Integer::sum);
                }
            }
        }
        assertThat(threadsPerObject).isNotEmpty().allSatisfy((object, threads) -> assertThat(threads).hasSize(1));
        assertThat(releases.keySet()).containsExactlyInAnyOrderElementsOf(threadsPerObject.keySet());
        assertThat(releases.values()).containsOnly(1);
        assertThat(machine.violations()).isEmpty();
    }

    @Test
    void rpcChangedModeOnTheControlWorkerFailsTheStartAndIsNeverUninitialised() throws InterruptedException {
        FakeMachine machine = machineWith();
        machine.addDevice(DRIVE_D);
        machine.coInitializeReturns(CONTROL, ComCodes.RPC_E_CHANGED_MODE);

        assertThatThrownBy(() -> WindowsTestAgent.start(machine))
                .isInstanceOfSatisfying(RecorderException.class, e -> {
                    assertThat(e.hresult().code()).isEqualTo(ComCodes.RPC_E_CHANGED_MODE);
                    assertThat(e.hresult().name()).isEqualTo("RPC_E_CHANGED_MODE");
                    assertThat(e.nativeDetail()).hasValueSatisfying(d -> assertThat(d.source())
                            .contains("CoInitializeEx"));
                });
        joinThreadsNamed(CONTROL);
        assertThat(calls(machine.calls())).containsExactly(CO_INITIALIZE_EX); // nothing else, no CoUninitialize
    }

    @Test
    void rpcChangedModeOnARecorderWorkerLeavesThatRecorderOutOnly() throws InterruptedException {
        FakeMachine machine = machineWith();
        machine.addDevice("REC-A");
        machine.addDevice("REC-B");
        machine.coInitializeReturns("discagent-native-REC-A", ComCodes.RPC_E_CHANGED_MODE);
        try (WindowsTestAgent t = WindowsTestAgent.start(machine)) {
            assertThat(t.recorders()).containsExactly(RecorderId.of("REC-B"));
            t.session("A").acquire(RecorderId.of("REC-B")).block();
        }
        joinThreadsNamed("discagent-native-REC-A");
        assertThat(machine.calls(c -> c.thread().equals("discagent-native-REC-A"))).extracting(FakeMachine.Call::call)
                .containsExactly(CO_INITIALIZE_EX);
        assertThat(machine.violations()).isEmpty();
    }

    @Test
    void sFalseIsAnApartmentToo_andStillGetsItsCoUninitialize() {
        FakeMachine machine = machineWith();
        machine.addDevice("REC-A");
        machine.coInitializeReturns("discagent-native-REC-A", ComCodes.S_FALSE);
        try (WindowsTestAgent t = WindowsTestAgent.start(machine)) {
            t.session("A").acquire(RecorderId.of("REC-A")).block();
        }
        assertThat(machine.calls(c -> c.thread().equals("discagent-native-REC-A"))).extracting(FakeMachine.Call::call)
                .containsExactly(CO_INITIALIZE_EX, CREATE_DISC_RECORDER, INITIALIZE_DISC_RECORDER,
                        ACQUIRE_EXCLUSIVE_ACCESS, RELEASE_EXCLUSIVE_ACCESS, RELEASE, CO_UNINITIALIZE);
    }

    @Test
    void aCallOutsideTheWorkersFailsAsComWould_withoutReachingCom() throws Exception {
        FakeMachine machine = machineWith();
        machine.addDevice("REC-A");
        WindowsBackend backend = new WindowsBackend(machine.process("p"), WindowsSettings.DEFAULTS, System::nanoTime);

        assertThatThrownBy(backend::enumerate).isInstanceOfSatisfying(RecorderException.class,
                e -> assertThat(e.hresult().name()).isEqualTo("CO_E_NOTINITIALIZED"));

        try (WorkerThread worker = new WorkerThread("discagent-native-REC-A",
                backend.threadHooks(NativeWorkerKind.RECORDER))) {
            BackendRecorder recorder = worker.call(() -> backend.open(new RecorderDescriptor("REC-A", "", "", "",
                    List.of(), Map.of())));
            int callsBefore = machine.calls().size();

            assertThatThrownBy(() -> recorder.acquireExclusiveAccess(false, "Intruder"))
                    .isInstanceOfSatisfying(RecorderException.class,
                            e -> assertThat(e.hresult().name()).isEqualTo("RPC_E_WRONG_THREAD"));
            assertThatThrownBy(recorder::close).isInstanceOf(RecorderException.class);
            assertThat(machine.calls()).hasSize(callsBefore); // nothing reached COM

            worker.run(recorder::close);
        }
        assertThat(machine.violations()).isEmpty();
        assertThat(calls(machine.calls())).containsExactly(CO_INITIALIZE_EX, CREATE_DISC_RECORDER,
                INITIALIZE_DISC_RECORDER, RELEASE, CO_UNINITIALIZE);
    }

    @Test
    void workersPumpMessagesWhileIdle() {
        FakeMachine machine = machineWith();
        machine.addDevice("REC-A");
        try (WindowsTestAgent t = WindowsTestAgent.start(machine)) {
            t.settle(); // nothing in flight: what follows is idle pumping
            int control = machine.pumps(CONTROL);
            int recorder = machine.pumps("discagent-native-REC-A");
            WindowsTestAgent.await(() -> machine.pumps(CONTROL) > control + 3
                    && machine.pumps("discagent-native-REC-A") > recorder + 3, "both workers pumped while idle");
        }
        assertThat(machine.violations()).isEmpty();
    }

    @Test
    void objectsLeftAliveAreReleasedBeforeCoUninitialize() throws Exception {
        FakeMachine machine = machineWith();
        machine.addDevice("REC-A");
        WindowsBackend backend = new WindowsBackend(machine.process("p"), WindowsSettings.DEFAULTS, System::nanoTime);
        try (WorkerThread worker = new WorkerThread("discagent-native-REC-A",
                backend.threadHooks(NativeWorkerKind.RECORDER))) {
            worker.call(() -> backend.open(new RecorderDescriptor("REC-A", "", "", "", List.of(), Map.of())));
            // opened, and never closed by its user: stopping the worker must release it
        }

        assertThat(calls(machine.calls())).endsWith(RELEASE, CO_UNINITIALIZE);
        assertThat(machine.violations()).isEmpty();
        assertThat(machine.objectsAlive("REC-A")).isZero();
    }

    // ------------------------------------------------------------------------------------------------ helpers

    static Map<Long, List<FakeMachine.Call>> byThread(List<FakeMachine.Call> calls) {
        Map<Long, List<FakeMachine.Call>> byThread = new LinkedHashMap<>();
        for (FakeMachine.Call call : calls) {
            byThread.computeIfAbsent(call.threadId(), k -> new ArrayList<>()).add(call);
        }
        return byThread;
    }

    static List<Imapi2Call> calls(List<FakeMachine.Call> calls) {
        return calls.stream().map(FakeMachine.Call::call).toList();
    }

    private static Imapi2Call last(List<FakeMachine.Call> calls) {
        return calls.get(calls.size() - 1).call();
    }

    private static List<FakeMachine.Call> onlyThreadNamed(Map<Long, List<FakeMachine.Call>> byThread, String name) {
        List<List<FakeMachine.Call>> named = byThread.values().stream()
                .filter(calls -> calls.get(0).thread().equals(name)).toList();
        assertThat(named).hasSize(1);
        return named.get(0);
    }

    /** The calls of the worker whose lasting object was initialised for {@code id}. */
    private static List<FakeMachine.Call> workerOf(Map<Long, List<FakeMachine.Call>> byThread, String id) {
        List<List<FakeMachine.Call>> workers = byThread.values().stream()
                .filter(calls -> !calls.get(0).thread().equals(CONTROL))
                .filter(calls -> calls.stream().anyMatch(c -> c.call() == INITIALIZE_DISC_RECORDER
                        && c.argument().equals(id)))
                .toList();
        assertThat(workers).hasSize(1);
        return workers.get(0);
    }

    /** The calls on the short-lived object that described {@code id}: from its creation to its release. */
    private static List<Imapi2Call> probeOf(List<FakeMachine.Call> control, String id) {
        for (int i = 0; i < control.size(); i++) {
            FakeMachine.Call call = control.get(i);
            if (call.call() == INITIALIZE_DISC_RECORDER && call.argument().equals(id)) {
                int object = call.object();
                List<Imapi2Call> probe = new ArrayList<>();
                probe.add(control.get(i - 1).call());
                for (FakeMachine.Call later : control.subList(i, control.size())) {
                    if (later.object() == object) {
                        probe.add(later.call());
                    }
                }
                return probe;
            }
        }
        throw new AssertionError("no probe of " + id);
    }

    static void joinThreadsNamed(String name) throws InterruptedException {
        for (Thread thread : Thread.getAllStackTraces().keySet()) {
            if (thread.getName().equals(name)) {
                thread.join(TimeUnit.SECONDS.toMillis(10));
                assertThat(thread.isAlive()).as(name + " ended").isFalse();
            }
        }
    }
}
