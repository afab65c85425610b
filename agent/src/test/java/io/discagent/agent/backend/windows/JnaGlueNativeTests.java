package io.discagent.agent.backend.windows;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.platform.win32.COM.COMException;
import com.sun.jna.platform.win32.WTypes.BSTR;
import io.discagent.agent.backend.windows.ComShim.ArrayShape;
import io.discagent.agent.backend.windows.Imapi2.DiscMaster;
import io.discagent.agent.backend.windows.Imapi2.DiscRecorder;
import io.discagent.agent.backend.windows.Imapi2.EventConnection;
import io.discagent.api.error.AccessDeniedException;
import io.discagent.api.error.HResult;
import io.discagent.api.error.InvalidClientNameException;
import io.discagent.api.error.RecorderLockedException;
import io.discagent.api.error.RecorderRemovedException;
import io.discagent.api.error.VolumeMountedException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The real binding's glue ({@link JnaImapi2}, {@link JnaDiscMaster}, {@link JnaDiscRecorder}, {@link OleStrings},
 * {@link MessageWait}) called path by path on the native OLE stand-in, on an apartment worker, every failure path
 * included: after each path the worker leaves its apartment and the stand-in must show nothing outstanding (no BSTR,
 * VARIANT, SAFEARRAY, array access, COM object, reference, event handle or apartment) and no misuse, and must show
 * that the path did allocate what it should (so the check cannot pass by doing nothing). The counts of every path are
 * written to {@code target/comshim-counters.txt}.
 */
class JnaGlueNativeTests {

    static final String ID = "\\\\?\\scsi#cdrom&ven_hl-dt-st&prod_bd-re#4&2f1c0a&0&000100"
            + "#{53f56308-b6bf-11d0-94f2-00a0c91efb8b}";
    static final Map<String, String> TABLE = new TreeMap<>();

    FakeMachine machine;
    Imapi2 com;
    ComShim shim;

    @BeforeEach
    void machine() {
        machine = new FakeMachine(FakeMachine.Layer.NATIVE);
        machine.addDevice(ID).paths = List.of("E:\\", "C:\\mnt\\disc\\");
        com = machine.process("glue");
        shim = machine.shims().get(0).shim();
    }

    @AfterEach
    void noViolations() {
        assertThat(machine.violations()).isEmpty();
    }

    @AfterAll
    static void writeTable() throws IOException {
        Path file = Path.of("target", "comshim-counters.txt");
        Files.createDirectories(file.toAbsolutePath().getParent());
        List<String> lines = new ArrayList<>();
        TABLE.forEach((path, counts) -> lines.add(path + " | " + counts));
        Files.write(file, lines, StandardCharsets.UTF_8);
    }

    // ------------------------------------------------------------------------------------------------ recorder

    @Test
    void createRecorderRefused_isAccessDenied_andLeavesNoObject() {
        machine.failNext(Imapi2Call.CREATE_DISC_RECORDER, ComCodes.E_ACCESSDENIED, 1);
        ComShim.Counters counts = path("CoCreateInstance(MsftDiscRecorder2) fails E_ACCESSDENIED", apartment ->
                assertThatThrownBy(apartment::createDiscRecorder).isInstanceOf(AccessDeniedException.class));
        assertThat(counts.get(ComShim.OBJECT_CREATED)).isEqualTo(1);
    }

    @Test
    void initializeFails_freesItsBstr() {
        machine.setPresentSilently(ID, false);
        ComShim.Counters counts = path("InitializeDiscRecorder fails ERROR_DEV_NOT_EXIST", apartment ->
                withRecorder(apartment, null, recorder -> assertThatThrownBy(() -> recorder.initializeDiscRecorder(ID))
                        .satisfies(e -> assertThat(ComErrors.map(e, Imapi2Call.INITIALIZE_DISC_RECORDER, null))
                                .isInstanceOf(RecorderRemovedException.class))));
        assertThat(counts.get(ComShim.BSTR_ALLOCATED)).isEqualTo(1);
    }

    @Test
    void acquireRefused_freesTheClientName_everyTime() {
        machine.lockExternally(ID, "Nero Burning ROM");
        ComShim.Counters counts = path("AcquireExclusiveAccess fails E_IMAPI_RECORDER_LOCKED x3, owner read x3",
                apartment -> withRecorder(apartment, ID, recorder -> {
                    for (int i = 0; i < 3; i++) {
                        assertThatThrownBy(() -> recorder.acquireExclusiveAccess(false, "Kiosk"))
                                .satisfies(e -> assertThat(ComErrors.map(e, Imapi2Call.ACQUIRE_EXCLUSIVE_ACCESS, null))
                                        .isInstanceOf(RecorderLockedException.class));
                        assertThat(recorder.exclusiveAccessOwner()).isEqualTo("Nero Burning ROM");
                    }
                }));
        assertThat(counts.get(ComShim.BSTR_ALLOCATED)).isEqualTo(1 + 3 + 3); // the id, 3 names, 3 owners
    }

    @Test
    void acquireOnAMountedVolume_isVolumeMounted_andForceTakesIt() {
        machine.mount(ID);
        path("AcquireExclusiveAccess fails ERROR_BAD_COMMAND, then force", apartment -> withRecorder(apartment, ID,
                recorder -> {
                    assertThatThrownBy(() -> recorder.acquireExclusiveAccess(false, "Kiosk"))
                            .satisfies(e -> assertThat(ComErrors.map(e, Imapi2Call.ACQUIRE_EXCLUSIVE_ACCESS, null))
                                    .isInstanceOf(VolumeMountedException.class));
                    recorder.acquireExclusiveAccess(true, "Kiosk");
                    recorder.releaseExclusiveAccess();
                }));
        assertThat(machine.calls(c -> c.call() == Imapi2Call.ACQUIRE_EXCLUSIVE_ACCESS))
                .extracting(FakeMachine.Call::argument).containsExactly("Kiosk", "force Kiosk");
    }

    @Test
    void aClientNameRefusedWithEInvalidArg_isAnInvalidClientName() {
        machine.failNext(Imapi2Call.ACQUIRE_EXCLUSIVE_ACCESS, ComCodes.E_INVALIDARG, 1);
        path("AcquireExclusiveAccess fails E_INVALIDARG", apartment -> withRecorder(apartment, ID, recorder ->
                assertThatThrownBy(() -> recorder.acquireExclusiveAccess(false, "Kiosk"))
                        .satisfies(e -> assertThat(ComErrors.map(e, Imapi2Call.ACQUIRE_EXCLUSIVE_ACCESS, null))
                                .isInstanceOf(InvalidClientNameException.class))));
    }

    @Test
    void anOutOfMemoryBstr_failsTheCallBeforeItReachesImapi2() {
        path("SysAllocStringLen returns NULL", apartment -> withRecorder(apartment, ID, recorder -> {
            shim.failNext("SysAllocStringLen", HResult.E_OUTOFMEMORY.code(), 1);
            assertThatThrownBy(() -> recorder.acquireExclusiveAccess(false, "Kiosk"))
                    .isInstanceOfSatisfying(COMException.class, e -> assertThat(e.getHresult().intValue())
                            .isEqualTo(HResult.E_OUTOFMEMORY.code()));
        }));
        assertThat(machine.calls(c -> c.call() == Imapi2Call.ACQUIRE_EXCLUSIVE_ACCESS)).isEmpty();
    }

    @Test
    void releaseFails_andReleaseSucceeds() {
        path("ReleaseExclusiveAccess fails (not held), then acquire/release", apartment -> withRecorder(apartment, ID,
                recorder -> {
                    assertThatThrownBy(recorder::releaseExclusiveAccess).isInstanceOf(COMException.class);
                    recorder.acquireExclusiveAccess(false, "Kiosk");
                    assertThat(machine.holderName(ID)).isEqualTo("Kiosk");
                    recorder.releaseExclusiveAccess();
                    assertThat(machine.holderName(ID)).isNull();
                }));
    }

    @Test
    void releasingTheObjectWhileHolding_dropsTheLock() {
        path("Release of the holding object", apartment -> withRecorder(apartment, ID,
                recorder -> recorder.acquireExclusiveAccess(false, "Kiosk")));
        assertThat(machine.holderName(ID)).isNull();
    }

    @Test
    void theTextPropertiesAreReadAndFreed_andTheirFailuresAllocateNothing() {
        ComShim.Counters counts = path("VendorId/ProductId/ProductRevision read, then each fails", apartment ->
                withRecorder(apartment, ID, recorder -> {
                    assertThat(recorder.vendorId()).isEqualTo("HL-DT-ST");
                    assertThat(recorder.productId()).isEqualTo("BD-RE BH16NS40 ");
                    assertThat(recorder.productRevision()).isEqualTo("1.02");
                    machine.failNext(Imapi2Call.VENDOR_ID, ComCodes.E_IMAPI_RECORDER_LOCKED, 1);
                    machine.failNext(Imapi2Call.PRODUCT_ID, ComCodes.E_FAIL, 1);
                    machine.failNext(Imapi2Call.PRODUCT_REVISION, ComCodes.HRESULT_FROM_WIN32_ERROR_INVALID_HANDLE, 1);
                    assertThatThrownBy(recorder::vendorId).isInstanceOf(COMException.class);
                    assertThatThrownBy(recorder::productId).isInstanceOf(COMException.class);
                    assertThatThrownBy(recorder::productRevision).isInstanceOf(COMException.class);
                }));
        assertThat(counts.get(ComShim.BSTR_ALLOCATED)).isEqualTo(1 + 3);
    }

    @Test
    void theOwner_null_empty_named_andFailing() {
        path("ExclusiveAccessOwner NULL, \"\", a name, and failing", apartment -> withRecorder(apartment, ID,
                recorder -> {
                    machine.ownerWhenFree = null;
                    assertThat(recorder.exclusiveAccessOwner()).isEmpty(); // a NULL BSTR is the empty string
                    machine.ownerWhenFree = "";
                    assertThat(recorder.exclusiveAccessOwner()).isEmpty();
                    machine.lockExternally(ID, "Roxio \u00e9\ud83d\udcbf"); // non-ASCII and a surrogate pair
                    assertThat(recorder.exclusiveAccessOwner()).isEqualTo("Roxio \u00e9\ud83d\udcbf");
                    machine.failNext(Imapi2Call.EXCLUSIVE_ACCESS_OWNER, ComCodes.E_FAIL, 1);
                    assertThatThrownBy(recorder::exclusiveAccessOwner).isInstanceOf(COMException.class);
                }));
    }

    // ------------------------------------------------------------------------------------------------ SAFEARRAY

    @Test
    void volumePathNames_asVariants_areReadAndTheArrayDestroyed() {
        ComShim.Counters counts = path("VolumePathNames: SAFEARRAY of 2 VARIANT BSTRs", apartment ->
                withRecorder(apartment, ID, recorder -> assertThat(recorder.volumePathNames())
                        .containsExactly("E:\\", "C:\\mnt\\disc\\")));
        assertThat(counts.get(ComShim.ARRAY_CREATED)).isEqualTo(1);
        assertThat(counts.get(ComShim.VARIANT_FILLED)).isEqualTo(2);
        assertThat(counts.get(ComShim.ARRAY_ACCESSED)).isEqualTo(1);
    }

    @Test
    void volumePathNames_empty_isNoVolumes() {
        machine.device(ID).paths = List.of();
        ComShim.Counters counts = path("VolumePathNames: empty SAFEARRAY", apartment -> withRecorder(apartment, ID,
                recorder -> assertThat(recorder.volumePathNames()).isEmpty()));
        assertThat(counts.get(ComShim.ARRAY_CREATED)).isEqualTo(1);
        assertThat(counts.get(ComShim.ARRAY_ACCESSED)).isZero(); // nothing to read: the data is not even accessed
    }

    @Test
    void volumePathNames_null_isNoVolumes() {
        shim.arrayShape(ArrayShape.NULL);
        ComShim.Counters counts = path("VolumePathNames: NULL SAFEARRAY", apartment -> withRecorder(apartment, ID,
                recorder -> assertThat(recorder.volumePathNames()).isEmpty()));
        assertThat(counts.get(ComShim.ARRAY_CREATED)).isZero();
    }

    @Test
    void volumePathNames_asBstrs_areReadToo() {
        shim.arrayShape(ArrayShape.BSTRS);
        path("VolumePathNames: SAFEARRAY of 2 BSTRs", apartment -> withRecorder(apartment, ID,
                recorder -> assertThat(recorder.volumePathNames()).containsExactly("E:\\", "C:\\mnt\\disc\\")));
    }

    @Test
    void volumePathNames_ofAnotherShape_failsAndIsStillDestroyed() {
        shim.arrayShape(ArrayShape.TWO_DIMENSIONS);
        path("VolumePathNames: two dimensions (refused)", apartment -> withRecorder(apartment, ID, recorder ->
                assertThatThrownBy(recorder::volumePathNames).isInstanceOfSatisfying(COMException.class,
                        e -> assertThat(e.getHresult().intValue()).isEqualTo(ComCodes.E_UNEXPECTED))));
        shim.arrayShape(ArrayShape.INTEGERS);
        path("VolumePathNames: VT_I4 elements (refused)", apartment -> withRecorder(apartment, ID, recorder ->
                assertThatThrownBy(recorder::volumePathNames).isInstanceOf(COMException.class)));
    }

    @Test
    void volumePathNames_whenOleAutomationFails_theArrayIsStillDestroyed() {
        shim.failNext("SafeArrayAccessData", 0x8002000D, 1);
        path("VolumePathNames: SafeArrayAccessData fails", apartment -> withRecorder(apartment, ID, recorder ->
                assertThatThrownBy(recorder::volumePathNames).isInstanceOf(COMException.class)));
        shim.failNext("SafeArrayGetVartype", ComCodes.E_INVALIDARG, 1);
        path("VolumePathNames: SafeArrayGetVartype fails", apartment -> withRecorder(apartment, ID, recorder ->
                assertThatThrownBy(recorder::volumePathNames).isInstanceOf(COMException.class)));
        shim.failNext("SafeArrayGetUBound", ComCodes.E_INVALIDARG, 1);
        path("VolumePathNames: SafeArrayGetUBound fails", apartment -> withRecorder(apartment, ID, recorder ->
                assertThatThrownBy(recorder::volumePathNames).isInstanceOf(COMException.class)));
    }

    @Test
    void volumePathNames_failing_allocatesNothing() {
        machine.failNext(Imapi2Call.VOLUME_PATH_NAMES, ComCodes.E_IMAPI_RECORDER_LOCKED, 1);
        ComShim.Counters counts = path("VolumePathNames fails E_IMAPI_RECORDER_LOCKED", apartment ->
                withRecorder(apartment, ID, recorder -> assertThatThrownBy(recorder::volumePathNames)
                        .isInstanceOf(COMException.class)));
        assertThat(counts.get(ComShim.ARRAY_CREATED)).isZero();
    }

    // ------------------------------------------------------------------------------------------------ master

    @Test
    void theMastersProperties_andTheirFailures() {
        ComShim.Counters counts = path("IsSupportedEnvironment, Count, Item ok; Count and Item fail", apartment -> {
            DiscMaster master = apartment.createDiscMaster();
            machine.supportedEnvironment = false;
            assertThat(master.isSupportedEnvironment()).isFalse();
            machine.supportedEnvironment = true;
            assertThat(master.isSupportedEnvironment()).isTrue();
            assertThat(master.count()).isEqualTo(1);
            assertThat(master.item(0)).isEqualTo(ID);
            assertThatThrownBy(() -> master.item(1)).isInstanceOf(COMException.class); // E_INVALIDARG
            machine.failNext(Imapi2Call.COUNT, ComCodes.E_FAIL, 1);
            assertThatThrownBy(master::count).isInstanceOf(COMException.class);
            apartment.release(master);
        });
        assertThat(counts.get(ComShim.BSTR_ALLOCATED)).isEqualTo(1);
    }

    @Test
    void adviseAndUnadvise_releaseTheContainerAndThePoint() {
        ComShim.Counters counts = path("Advise then Unadvise", apartment -> {
            DiscMaster master = apartment.createDiscMaster();
            ComEventSink sink = new ComEventSink(new RecordingHandler());
            EventConnection connection = master.advise(sink);
            assertThat(machine.advisedSinks()).isEqualTo(1);
            assertThat(sink.references()).isEqualTo(2); // ours and the connection point's
            connection.unadvise();
            assertThat(sink.references()).isEqualTo(1);
            apartment.release(master);
        });
        assertThat(counts.get(ComShim.OBJECT_CREATED)).isEqualTo(2); // the master and its connection point
    }

    @Test
    void everyFailingStepOfAdvise_releasesWhatItGot() {
        ComEventSink sink = new ComEventSink(new RecordingHandler());
        shim.failNext("QueryInterface(IConnectionPointContainer)", ComCodes.E_NOINTERFACE, 1);
        path("Advise: QueryInterface(IConnectionPointContainer) fails", apartment -> adviseFails(apartment, sink,
                ComCodes.E_NOINTERFACE));
        shim.failNext("FindConnectionPoint", 0x80040200, 1);
        path("Advise: FindConnectionPoint fails", apartment -> adviseFails(apartment, sink, 0x80040200));
        machine.adviseResult = 0x80040202;
        ComShim.Counters counts = path("Advise: IConnectionPoint::Advise fails", apartment -> adviseFails(apartment,
                sink, 0x80040202));
        assertThat(counts.get(ComShim.OBJECT_CREATED)).isEqualTo(2);
        assertThat(sink.references()).isEqualTo(1);
    }

    @Test
    void aFailingUnadvise_stillReleasesThePoint() {
        path("Unadvise fails", apartment -> {
            DiscMaster master = apartment.createDiscMaster();
            EventConnection connection = master.advise(new ComEventSink(new RecordingHandler()));
            machine.failNext(Imapi2Call.UNADVISE, 0x80040200, 1);
            assertThatThrownBy(connection::unadvise).isInstanceOf(COMException.class);
            apartment.release(master); // the source lets go of the sink it still held
        });
    }

    // ------------------------------------------------------------------------------------------------ pump and wait

    @Test
    void thePumpDispatchesMessages_andSkipsWmQuit() {
        path("PeekMessageW/TranslateMessage/DispatchMessageW, WM_QUIT skipped", apartment -> {
            DiscMaster master = apartment.createDiscMaster();
            RecordingHandler handler = new RecordingHandler();
            EventConnection connection = master.advise(new ComEventSink(handler));
            machine.postQuit(Thread.currentThread().getName());
            machine.plugIn("REC-NEW");
            apartment.pump();
            assertThat(handler.added).containsExactly("REC-NEW");
            connection.unadvise();
            apartment.release(master);
        });
        assertThat(shim.counters().get(ComShim.MESSAGE_PEEKED)).isEqualTo(2); // WM_QUIT and the event
        assertThat(shim.counters().get(ComShim.MESSAGE_DISPATCHED)).isEqualTo(1);
    }

    @Test
    void theWakeEvent_endsAWait_soDoesAMessage_andTheTimeoutDoesToo() {
        path("CreateEventW, SetEvent, MsgWaitForMultipleObjectsEx, CloseHandle", apartment -> {
            Imapi2.WakeEvent event = com.createWakeEvent();
            event.set();
            assertThat(event.await(60_000)).isEqualTo(Imapi2.Wakeup.SIGNALLED);
            assertThat(event.await(1)).isEqualTo(Imapi2.Wakeup.TIMEOUT); // auto-reset
            machine.postQuit(Thread.currentThread().getName());
            assertThat(event.await(60_000)).isEqualTo(Imapi2.Wakeup.MESSAGE);
            apartment.pump();
            event.close();
        });
    }

    @Test
    void withoutAWakeEvent_theWorkerStillWorks() {
        shim.failNext("CreateEventW", HResult.E_OUTOFMEMORY.code(), 1);
        ComShim.Counters counts = path("CreateEventW fails: the worker parks instead", apartment ->
                withRecorder(apartment, ID, recorder -> assertThat(recorder.vendorId()).isEqualTo("HL-DT-ST")));
        assertThat(counts.get(ComShim.EVENT_CREATED)).isZero();
    }

    // ------------------------------------------------------------------------------------------------ the counters

    @Test
    void theCountersSeeALeakedBstrAndADoubleFree() {
        ComLibraries libraries = shim.libraries();
        OleStrings strings = new OleStrings(libraries);
        Pointer leaked = strings.allocate("leaked");
        assertThat(shim.counters().bstrsOutstanding()).isEqualTo(1);
        assertThat(shim.counters().nothingOutstanding()).isFalse();
        strings.free(leaked);
        strings.free(leaked);
        assertThat(shim.counters().bstrsOutstanding()).isZero();
        assertThat(shim.counters().misuse()).singleElement().asString().contains("not a live BSTR");
    }

    /**
     * jna-platform's {@code new BSTR(String)} builds a BSTR-shaped block in Java memory that OLE never allocated: a
     * method may not free or keep it, and the stand-in refuses it where a BSTR belongs. The binding never uses it.
     */
    @Test
    void aBstrOleDidNotAllocate_isCaughtByTheStandIn() {
        BSTR notOles = new BSTR(ID);
        path("a BSTR built in Java memory passed to InitializeDiscRecorder (one misuse expected)", apartment -> {
            DiscRecorder recorder = apartment.createDiscRecorder();
            int hr = ComVtable.call(((JnaDiscRecorder) recorder).pointer(),
                    Imapi2Vtables.RECORDER_INITIALIZE_DISC_RECORDER, notOles.getPointer());
            assertThat(hr).isEqualTo(ComCodes.E_INVALIDARG);
            apartment.release(recorder);
        }, 1);
        assertThat(shim.counters().misuse()).singleElement().asString().contains("is not a live BSTR");
    }

    /**
     * jna-platform's {@code SysAllocString(String)} hands JNA's {@code wchar_t} string: 32-bit UTF-32 code points on
     * Linux, UTF-16 on Windows. The stand-in converts, as it must to match what JNA does here; on Windows the same call
     * passes UTF-16 straight through. The binding does not depend on it: it passes UTF-16 code units to
     * {@code SysAllocStringLen} itself, the same bytes on both. Reading is platform-independent in both (the length
     * prefix, then UTF-16LE), in jna-platform's {@code BSTR.getValue()} and ours.
     */
    @Test
    void jnaPlatformsSysAllocString_goesThroughWcharT_andReadsBackTheSame() {
        ComLibraries libraries = shim.libraries();
        String text = "Kiosk \u00e9 \ud83d\udcbf";
        BSTR bstr = libraries.oleAuto.SysAllocString(text);
        try {
            assertThat(libraries.oleAuto.SysStringLen(bstr)).isEqualTo(text.length()); // UTF-16 units, 2 for the disc
            assertThat(new OleStrings(libraries).read(bstr.getPointer())).isEqualTo(text);
            assertThat(bstr.getValue()).isEqualTo(text);
        } finally {
            libraries.oleAuto.SysFreeString(bstr);
        }
        assertThat(Native.WCHAR_SIZE).as("what JNA passes for a wide string on this platform").isEqualTo(4);
        assertThat(shim.counters().nothingOutstanding()).isTrue();
        assertThat(shim.counters().get(ComShim.BSTR_ALLOCATED)).isEqualTo(1);
    }

    // ------------------------------------------------------------------------------------------------ helpers

    private static void adviseFails(Apartment apartment, ComEventSink sink, int code) {
        DiscMaster master = apartment.createDiscMaster();
        assertThatThrownBy(() -> master.advise(sink)).isInstanceOfSatisfying(COMException.class,
                e -> assertThat(e.getHresult().intValue()).isEqualTo(code));
        apartment.release(master);
    }

    /** A recorder object of the worker's apartment, initialised for {@code id} unless null, released after use. */
    private static void withRecorder(Apartment apartment, String id, Consumer<DiscRecorder> use) {
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

    private ComShim.Counters path(String name, Consumer<Apartment> body) {
        return path(name, body, 0);
    }

    /**
     * Runs {@code body} on a fresh apartment worker, stops the worker (leaving the apartment, closing its event), and
     * checks the stand-in: nothing outstanding, exactly {@code misuses} new misuses. Returns (and records under
     * {@code name}) what the path counted.
     */
    private ComShim.Counters path(String name, Consumer<Apartment> body, int misuses) {
        ComShim.Counters before = shim.counters();
        try (WorkerThread worker = new WorkerThread("discagent-native-glue",
                new ApartmentHooks(com, Duration.ofSeconds(1), () -> { }))) {
            worker.run(() -> body.accept(Apartment.current()));
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        ComShim.Counters after = shim.awaitQuiet();
        ComShim.Counters counts = after.since(before);
        TABLE.put(name, counts.summary().substring(counts.process().length() + 2));
        assertThat(counts.misuse()).as(name).hasSize(misuses);
        assertThat(after.nothingOutstanding()).as(name + ": " + after.summary()).isTrue();
        assertThat(counts.get(ComShim.CO_INITIALIZED)).as(name + ": the path ran in an apartment").isEqualTo(1);
        return counts;
    }

    /** Records what the sink reports. */
    static final class RecordingHandler implements ComEventSink.Handler {
        final List<String> added = new ArrayList<>();
        final List<String> removed = new ArrayList<>();

        @Override
        public void deviceAdded(String uniqueId) {
            added.add(uniqueId);
        }

        @Override
        public void deviceRemoved(String uniqueId) {
            removed.add(uniqueId);
        }
    }
}
