package io.discagent.agent.backend.windows;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.sun.jna.Native;
import com.sun.jna.Structure;
import com.sun.jna.platform.win32.Advapi32Util;
import com.sun.jna.platform.win32.BaseTSD;
import com.sun.jna.platform.win32.COM.COMException;
import com.sun.jna.platform.win32.COM.COMInvokeException;
import com.sun.jna.platform.win32.COM.util.ObjectFactory;
import com.sun.jna.platform.win32.Kernel32;
import com.sun.jna.platform.win32.OaIdl;
import com.sun.jna.platform.win32.WTypes;
import com.sun.jna.platform.win32.WinDef;
import com.sun.jna.platform.win32.WinNT;
import com.sun.jna.platform.win32.WinReg;
import com.sun.jna.platform.win32.WinUser;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.PointerByReference;
import com.sun.jna.win32.StdCallLibrary;
import com.sun.jna.win32.W32APIOptions;
import io.discagent.agent.AgentOptions;
import io.discagent.agent.DiscAgent;
import io.discagent.agent.backend.windows.Imapi2.DiscMaster;
import io.discagent.agent.backend.windows.Imapi2.DiscRecorder;
import io.discagent.agent.backend.windows.Imapi2.EventConnection;
import io.discagent.agent.spi.BackendConfig;
import io.discagent.api.error.HResult;
import io.discagent.api.event.DeviceEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Probes that settle what only a Windows machine can (the reference's section 8, and what the native stand-in cannot
 * prove), by calling IMAPI2 through the real binding on one of the agent's native workers. Each records what it saw
 * ({@code target/windows-observations.txt}); the ones the design relies on also assert it. Runs only with
 * {@code -Preal-windows} on Windows. The event-path probe needs someone to plug or unplug a drive and is off unless
 * {@code -Ddiscagent.windows.hotplugSeconds=N} is given; {@code -Ddiscagent.windows.leakLoops=N} sets how many failed
 * calls the leak probe makes (default 5000).
 */
@Tag(RealWindows.TAG)
class RealWindowsObservationsTests {

    static final String VALID_NAME = "discagent probe";

    private ComLibraries libraries;
    private JnaImapi2 com;

    @BeforeEach
    void onWindows() {
        RealWindows.assumeWindows();
        libraries = ComLibraries.system();
        com = new JnaImapi2(libraries);
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
     * to a name with a refused character, to an empty name, and (when a disc is mounted) to {@code force=false};
     * what ReleaseExclusiveAccess says at count 0, asked of a throwaway object so that the answer cannot change what
     * the later probes see.
     */
    @Test
    void acquireAndReleaseAnswers() throws Exception {
        try (WorkerThread worker = apartment()) {
            worker.run(() -> {
                String id = first();
                boolean force = Boolean.getBoolean("discagent.windows.force");
                withRecorder(id, throwaway -> RealWindows.observe("ReleaseExclusiveAccess at count 0 (a throwaway "
                        + "object)", outcome(throwaway::releaseExclusiveAccess)));
                withRecorder(id, recorder -> {
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

    /**
     * The same refusal through both doors: our vtable call returns the HRESULT directly; jna-platform's
     * {@code COM.util} proxy ({@link JnaDispatch}, the binding before issue 21) goes through {@code IDispatch::Invoke}.
     * Records the Invoke shape (DISP_E_EXCEPTION with scode or wCode, deferred fill-in or not) and whether the codes
     * agree, so the choice of the vtable is on record.
     */
    @Test
    void theVtableAndIDispatchAgreeOnARefusal() throws Exception {
        boolean force = Boolean.getBoolean("discagent.windows.force");
        try (WorkerThread worker = apartment()) {
            worker.run(() -> {
                String id = first();
                withRecorder(id, holder -> {
                    String taken = outcome(() -> holder.acquireExclusiveAccess(force, VALID_NAME));
                    assumeTrue(taken.equals("succeeded"), "the drive could not be taken: " + taken);
                    withRecorder(id, second -> RealWindows.observe("second holder through the vtable",
                            outcome(() -> second.acquireExclusiveAccess(force, "discagent second"))));
                    ObjectFactory factory = new ObjectFactory();
                    try {
                        JnaDispatch.MsftDiscRecorder2 dispatch = factory.createObject(
                                JnaDispatch.MsftDiscRecorder2.class);
                        dispatch.InitializeDiscRecorder(id);
                        RealWindows.observe("second holder through IDispatch::Invoke (jna-platform COM.util)",
                                outcome(() -> dispatch.AcquireExclusiveAccess(force, "discagent second")));
                    } finally {
                        factory.disposeAll();
                    }
                    holder.releaseExclusiveAccess();
                });
            });
        }
    }

    /**
     * Item 8 of issue 21: whether our apartment threads own top-level windows. COM makes a window for each STA; a
     * broadcast {@code SendMessage} waits for every top-level window's thread, so one blocked in a hung IMAPI2 call
     * would stall the broadcaster. A message-only window is not reached by broadcasts (and is not listed here).
     */
    @Test
    void theWorkerThreadsTopLevelWindows() throws Exception {
        try (WorkerThread worker = apartment()) {
            List<String> windows = worker.call(() -> {
                Apartment apartment = Apartment.current();
                DiscMaster master = apartment.createDiscMaster();
                EventConnection connection = master.advise(new ComEventSink(new ComEventSink.Handler() {
                    @Override
                    public void deviceAdded(String uniqueId) {
                    }

                    @Override
                    public void deviceRemoved(String uniqueId) {
                    }
                }));
                try {
                    List<String> found = new ArrayList<>();
                    libraries.user32.EnumThreadWindows(libraries.kernel32.GetCurrentThreadId(), (window, data) -> {
                        char[] name = new char[256];
                        int length = libraries.user32.GetClassName(window, name, name.length);
                        found.add(new String(name, 0, length) + (libraries.user32.IsWindowVisible(window)
                                ? " (visible)" : ""));
                        return true;
                    }, null);
                    return found;
                } finally {
                    connection.unadvise();
                    apartment.release(master);
                }
            });
            RealWindows.observe("top-level windows of an apartment worker (broadcasts wait for these)", windows);
        }
    }

    /** Item 8: a message posted to an idle worker ends its {@code MsgWaitForMultipleObjectsEx} at once. */
    @Test
    void aPostedMessageEndsTheIdleWait() throws Exception {
        try (WorkerThread worker = apartment()) {
            int threadId = worker.call(() -> libraries.kernel32.GetCurrentThreadId());
            String outcome = worker.call(() -> {
                Imapi2.WakeEvent event = com.createWakeEvent();
                try {
                    libraries.user32.PostThreadMessage(threadId, WinUser.WM_USER, new WinDef.WPARAM(0),
                            new WinDef.LPARAM(0));
                    long start = System.nanoTime();
                    Imapi2.Wakeup wakeup = event.await(60_000);
                    long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                    Apartment.current().pump();
                    return wakeup + " after " + millis + " ms";
                } finally {
                    event.close();
                }
            });
            RealWindows.observe("MsgWaitForMultipleObjectsEx with a posted WM_USER", outcome);
            assertThat(outcome).startsWith("MESSAGE");
        }
    }

    /** What {@code VolumePathNames} returns here: VARTYPE, dimensions, bounds (the stand-in offers every shape). */
    @Test
    void theShapeOfVolumePathNames() throws Exception {
        try (WorkerThread worker = apartment()) {
            worker.run(() -> withRecorder(first(), recorder -> {
                PointerByReference out = new PointerByReference();
                int hr = ComVtable.call(((JnaDiscRecorder) recorder).pointer(),
                        Imapi2Vtables.RECORDER_GET_VOLUME_PATH_NAMES, out.getPointer());
                if (hr < 0 || out.getValue() == null) {
                    RealWindows.observe("VolumePathNames", hr < 0 ? "failed " + HResult.of(hr) : "NULL");
                    return;
                }
                OaIdl.SAFEARRAY array = new OaIdl.SAFEARRAY(out.getValue());
                array.setAutoWrite(false);
                WTypes.VARTYPEByReference vt = new WTypes.VARTYPEByReference();
                libraries.oleAuto.SafeArrayGetVartype(array, vt);
                WinDef.LONGByReference lower = new WinDef.LONGByReference();
                WinDef.LONGByReference upper = new WinDef.LONGByReference();
                libraries.oleAuto.SafeArrayGetLBound(array, new WinDef.UINT(1), lower);
                libraries.oleAuto.SafeArrayGetUBound(array, new WinDef.UINT(1), upper);
                RealWindows.observe("VolumePathNames shape", "VARTYPE " + vt.getValue().intValue() + ", "
                        + libraries.oleAuto.SafeArrayGetDim(array).intValue() + " dimension(s), bounds "
                        + lower.getValue() + ".." + upper.getValue());
                libraries.oleAuto.SafeArrayDestroy(array);
                RealWindows.observe("VolumePathNames as the binding reads them", recorder.volumePathNames());
            }));
        }
    }

    /**
     * What the native stand-in cannot prove: that real OLE and IMAPI2 leak nothing either on the failure paths.
     * Makes {@code leakLoops} failed {@code InitializeDiscRecorder} calls (an unknown id) and as many refused
     * {@code AcquireExclusiveAccess} calls (a second holder), and records the process's private bytes and handle
     * count before and after (after a GC, so JNA's own memory is returned). Asserts less than 256 bytes and no handle
     * kept per call on average; the binding before issue 21 kept a BSTR per failed call, and its error strings.
     */
    @Test
    void failedCallsDoNotGrowTheProcess() throws Exception {
        int loops = Integer.getInteger("discagent.windows.leakLoops", 5000);
        boolean force = Boolean.getBoolean("discagent.windows.force");
        try (WorkerThread worker = apartment()) {
            long[] growth = worker.call(() -> {
                String id = first();
                long[] before = null;
                for (int round = 0; round < 2; round++) { // the first round warms up (classes, JIT, OLE caches)
                    before = ProcessCounters.now();
                    for (int i = 0; i < loops; i++) {
                        withRecorder(null, probe -> outcome(() -> probe.initializeDiscRecorder(
                                "\\\\?\\discagent#no-such-recorder#" + loops)));
                    }
                    withRecorder(id, holder -> {
                        if (!outcome(() -> holder.acquireExclusiveAccess(force, VALID_NAME)).equals("succeeded")) {
                            return;
                        }
                        withRecorder(id, second -> {
                            for (int i = 0; i < loops; i++) {
                                outcome(() -> second.acquireExclusiveAccess(force, "discagent second"));
                            }
                        });
                        holder.releaseExclusiveAccess();
                    });
                }
                long[] after = ProcessCounters.now();
                return new long[] {after[0] - before[0], after[1] - before[1]};
            });
            RealWindows.observe(loops + " failed InitializeDiscRecorder + " + loops + " refused AcquireExclusiveAccess",
                    "private bytes +" + growth[0] + ", handles +" + growth[1]);
            assertThat(growth[0]).isLessThan(256L * 2 * loops);
            assertThat(growth[1]).isLessThan(loops / 10);
        }
    }

    /** The process's private bytes and handles ({@code K32GetProcessMemoryInfo}, {@code GetProcessHandleCount}). */
    static final class ProcessCounters {

        interface Kernel32Counters extends StdCallLibrary {
            boolean K32GetProcessMemoryInfo(WinNT.HANDLE process, MemoryCounters counters, int size);

            boolean GetProcessHandleCount(WinNT.HANDLE process, IntByReference count);
        }

        /** {@code PROCESS_MEMORY_COUNTERS_EX}. */
        @Structure.FieldOrder({"cb", "PageFaultCount", "PeakWorkingSetSize", "WorkingSetSize",
            "QuotaPeakPagedPoolUsage", "QuotaPagedPoolUsage", "QuotaPeakNonPagedPoolUsage", "QuotaNonPagedPoolUsage",
            "PagefileUsage", "PeakPagefileUsage", "PrivateUsage"})
        public static final class MemoryCounters extends Structure {
            public int cb;
            public int PageFaultCount;
            public BaseTSD.SIZE_T PeakWorkingSetSize;
            public BaseTSD.SIZE_T WorkingSetSize;
            public BaseTSD.SIZE_T QuotaPeakPagedPoolUsage;
            public BaseTSD.SIZE_T QuotaPagedPoolUsage;
            public BaseTSD.SIZE_T QuotaPeakNonPagedPoolUsage;
            public BaseTSD.SIZE_T QuotaNonPagedPoolUsage;
            public BaseTSD.SIZE_T PagefileUsage;
            public BaseTSD.SIZE_T PeakPagefileUsage;
            public BaseTSD.SIZE_T PrivateUsage;
        }

        static long[] now() {
            System.gc();
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(200)); // a real machine: let JNA's cleaner run
            Kernel32Counters kernel32 = Native.load("kernel32", Kernel32Counters.class, W32APIOptions.DEFAULT_OPTIONS);
            WinNT.HANDLE process = Kernel32.INSTANCE.GetCurrentProcess();
            MemoryCounters counters = new MemoryCounters();
            counters.cb = counters.size();
            kernel32.K32GetProcessMemoryInfo(process, counters, counters.size());
            IntByReference handles = new IntByReference();
            kernel32.GetProcessHandleCount(process, handles);
            return new long[] {counters.PrivateUsage.longValue(), handles.getValue()};
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
        return new WorkerThread("discagent-native-probe", new ApartmentHooks(com, Duration.ofSeconds(1), () -> { }));
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

    /** A recorder object initialised for {@code id} (unless null), released after use. Call on the worker. */
    private static void withRecorder(String id, RecorderUse use) {
        Apartment apartment = Apartment.current();
        DiscRecorder recorder = apartment.createDiscRecorder();
        try {
            if (id != null) {
                recorder.initializeDiscRecorder(id);
            }
            use.accept(recorder);
        } finally {
            apartment.release(recorder);
        }
    }

    /** "succeeded", or the raw failure: exception class, HRESULT, scode, wCode, description, and how it maps. */
    private static String outcome(Runnable call) {
        try {
            call.run();
            return "succeeded";
        } catch (COMInvokeException e) {
            return "COMInvokeException hresult=" + hresult(e.getHresult() == null ? null : e.getHresult().intValue())
                    + " scode=" + hresult(e.getScode()) + " wCode=" + e.getWCode() + " description="
                    + quoted(e.getDescription()) + " mapped="
                    + ComErrors.map(e, Imapi2Call.ACQUIRE_EXCLUSIVE_ACCESS, null).getClass().getSimpleName();
        } catch (COMException e) {
            return "COMException hresult=" + hresult(e.getHresult() == null ? null : e.getHresult().intValue())
                    + " mapped (as acquire)="
                    + ComErrors.map(e, Imapi2Call.ACQUIRE_EXCLUSIVE_ACCESS, null).getClass().getSimpleName();
        }
    }

    private static String hresult(Integer code) {
        return code == null ? "null" : HResult.of(code).toString();
    }

    private static String quoted(String s) {
        return s == null ? "null" : "\"" + s + "\"";
    }
}
