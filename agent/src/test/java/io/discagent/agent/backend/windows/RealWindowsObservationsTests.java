package io.discagent.agent.backend.windows;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.sun.jna.platform.win32.Advapi32Util;
import com.sun.jna.platform.win32.COM.COMException;
import com.sun.jna.platform.win32.COM.COMInvokeException;
import com.sun.jna.platform.win32.WinReg;
import io.discagent.agent.AgentOptions;
import io.discagent.agent.DiscAgent;
import io.discagent.agent.backend.windows.Imapi2.DiscMaster;
import io.discagent.agent.backend.windows.Imapi2.DiscRecorder;
import io.discagent.agent.spi.BackendConfig;
import io.discagent.api.error.HResult;
import io.discagent.api.event.DeviceEvent;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Probes that settle the reference's open points (section 8) on a real Windows machine with a drive, by calling IMAPI2
 * through the real binding on one of the agent's native workers. Each records what it saw
 * ({@code target/windows-observations.txt}); the ones the design relies on also assert it. Runs only with
 * {@code -Preal-windows} on Windows. The event-path probe needs someone to plug or unplug a drive and is off unless
 * {@code -Ddiscagent.windows.hotplugSeconds=N} is given.
 */
@Tag(RealWindows.TAG)
class RealWindowsObservationsTests {

    static final String VALID_NAME = "discagent probe";

    private JnaImapi2 com;

    @BeforeEach
    void onWindows() {
        RealWindows.assumeWindows();
        com = new JnaImapi2(ComLibraries.system());
    }

    /** Reference 8.2: the ThreadingModel of the two classes. */
    @Test
    void threadingModelsOfTheTwoClasses() {
        for (String clsid : new String[] {Imapi2Ids.CLSID_MSFT_DISC_MASTER2, Imapi2Ids.CLSID_MSFT_DISC_RECORDER2}) {
            String key = "CLSID\\" + clsid + "\\InprocServer32";
            String model;
            try {
                model = Advapi32Util.registryGetStringValue(WinReg.HKEY_CLASSES_ROOT, key, "ThreadingModel");
            } catch (RuntimeException e) {
                model = "unreadable: " + e;
            }
            RealWindows.observe("ThreadingModel of " + clsid, model);
        }
    }

    /** Reference 8.6: ExclusiveAccessOwner of a free recorder, {@code ""} or {@code null}. */
    @Test
    void ownerOfAFreeRecorder() throws Exception {
        try (WorkerThread worker = apartment()) {
            worker.run(() -> withRecorder(first(), recorder ->
                    RealWindows.observe("ExclusiveAccessOwner when free", quoted(recorder.exclusiveAccessOwner()))));
        }
    }

    /**
     * Reference 8.4 and 8.5: what AcquireExclusiveAccess says to a second holder, to a 63- and a 64-character name,
     * to a name with a refused character, to an empty name, and (when a disc is mounted) to {@code force=false}; the
     * shape of the exception that carries it; what ReleaseExclusiveAccess says at count 0.
     */
    @Test
    void acquireAndReleaseAnswers() throws Exception {
        try (WorkerThread worker = apartment()) {
            worker.run(() -> {
                String id = first();
                boolean force = Boolean.getBoolean("discagent.windows.force");
                withRecorder(id, recorder -> {
                    RealWindows.observe("ReleaseExclusiveAccess at count 0", outcome(recorder::releaseExclusiveAccess));
                    String plain = outcome(() -> recorder.acquireExclusiveAccess(false, VALID_NAME));
                    RealWindows.observe("AcquireExclusiveAccess(force=false) on this drive", plain);
                    if (!plain.equals("succeeded")) {
                        assumeTrue(force, "a volume is mounted: rerun with -Ddiscagent.windows.force=true");
                        recorder.acquireExclusiveAccess(true, VALID_NAME);
                    }
                    withRecorder(id, second -> RealWindows.observe("AcquireExclusiveAccess by a second holder",
                            outcome(() -> second.acquireExclusiveAccess(force, "discagent second"))));
                    recorder.releaseExclusiveAccess();
                    for (String name : new String[] {"a".repeat(63), "a".repeat(64), "bad/name", ""}) {
                        String answer = outcome(() -> recorder.acquireExclusiveAccess(force, name));
                        RealWindows.observe("AcquireExclusiveAccess with a " + name.length() + "-character name '"
                                + (name.length() > 10 ? name.substring(0, 10) + "..." : name) + "'", answer);
                        if (answer.equals("succeeded")) {
                            recorder.releaseExclusiveAccess();
                        }
                    }
                });
            });
        }
    }

    /** Reference 8.7: releasing the recorder object without ReleaseExclusiveAccess drops the lock. */
    @Test
    void releasingTheObjectDropsItsLock() throws Exception {
        boolean force = Boolean.getBoolean("discagent.windows.force");
        try (WorkerThread worker = apartment()) {
            String outcome = worker.call(() -> {
                String id = first();
                withRecorder(id, recorder -> recorder.acquireExclusiveAccess(force, VALID_NAME)); // released held
                StringBuilder after = new StringBuilder();
                withRecorder(id, recorder -> {
                    after.append(outcome(() -> recorder.acquireExclusiveAccess(force, "discagent after")));
                    if (after.toString().equals("succeeded")) {
                        recorder.releaseExclusiveAccess();
                    }
                });
                return after.toString();
            });
            RealWindows.observe("Acquire after the holder's object was released without ReleaseExclusiveAccess",
                    outcome);
            assertThat(outcome).isEqualTo("succeeded");
        }
    }

    /** Reference 8.1 (opt-in, needs a person): which sink entry IMAPI2 calls, and that events arrive at all. */
    @Test
    void whichEntryOfTheSinkImapi2Calls() {
        int seconds = Integer.getInteger("discagent.windows.hotplugSeconds", 0);
        assumeTrue(seconds > 0, "set -Ddiscagent.windows.hotplugSeconds=60 and plug or unplug a drive");
        WindowsBackend backend = (WindowsBackend) new WindowsBackendProvider().create(BackendConfig.EMPTY);
        DiscAgent agent = DiscAgent.start(AgentOptions.builder().backend(backend).build()).block();
        try {
            System.out.println("[windows observation] plug in or unplug a recorder within " + seconds + " s");
            Optional<DeviceEvent> event = agent.deviceEvents().next()
                    .blockOptional(Duration.ofSeconds(seconds));
            RealWindows.observe("device event received", event.map(Object::toString).orElse("none"));
            RealWindows.observe("sink deliveries (advised, Invoke, vtable)", backend.eventDeliveries());
            assertThat(event).isPresent();
        } finally {
            agent.close().block();
        }
    }

    // ------------------------------------------------------------------------------------------------ helpers

    private WorkerThread apartment() {
        return new WorkerThread("discagent-native-probe", new ApartmentHooks(com, Duration.ofMillis(10), () -> { }));
    }

    /** The first recorder's unique id (skips the test when there is none). Call on the worker. */
    private static String first() {
        Apartment apartment = Apartment.current();
        DiscMaster master = apartment.createDiscMaster();
        try {
            RealWindows.observe("IsSupportedEnvironment", master.isSupportedEnvironment());
            assumeTrue(master.count() > 0, "no recorder on this machine");
            return master.item(0);
        } finally {
            apartment.release(master);
        }
    }

    interface RecorderUse {
        void accept(DiscRecorder recorder);
    }

    /** A recorder object initialised for {@code id}, released after use. Call on the worker. */
    private static void withRecorder(String id, RecorderUse use) {
        Apartment apartment = Apartment.current();
        DiscRecorder recorder = apartment.createDiscRecorder();
        try {
            recorder.initializeDiscRecorder(id);
            use.accept(recorder);
        } finally {
            apartment.release(recorder);
        }
    }

    /** "succeeded", or the raw failure: exception class, HRESULT, scode, description. */
    private static String outcome(Runnable call) {
        try {
            call.run();
            return "succeeded";
        } catch (COMInvokeException e) {
            return "COMInvokeException hresult=" + hresult(e.getHresult() == null ? null : e.getHresult().intValue())
                    + " scode=" + hresult(e.getScode()) + " description=" + quoted(e.getDescription())
                    + " mapped=" + ComErrors.map(e, Imapi2Call.ACQUIRE_EXCLUSIVE_ACCESS, null).getClass().getSimpleName();
        } catch (COMException e) {
            return "COMException hresult=" + hresult(e.getHresult() == null ? null : e.getHresult().intValue())
                    + " message=" + quoted(e.getMessage());
        }
    }

    private static String hresult(Integer code) {
        return code == null ? "null" : HResult.of(code).toString();
    }

    private static String quoted(String s) {
        return s == null ? "null" : "\"" + s + "\"";
    }
}
