package io.discagent.agent.backend.windows;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;
import com.sun.jna.Structure;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.PointerByReference;
import io.discagent.agent.backend.windows.Imapi2.WriteProgress;
import io.discagent.agent.backend.windows.Imapi2.WriteProgressListener;
import java.lang.System.Logger.Level;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * Our {@code DDiscFormat2DataEvents} sink: a COM object in native memory whose vtable has the seven entries of
 * {@code IDispatch} and {@code Update} (slot 7). IMAPI2 fires {@code Update(IDispatch* object, IDispatch* progress)}
 * through {@code IDispatch::Invoke} (DISPID {@code 0x200}) or the slot directly, as it does for the disc master's
 * events ({@link ComEventSink}); both reach the same listener. The progress argument is asked for
 * {@code IDiscFormat2DataEventArgs} and read through its vtable ({@code CurrentAction}, the LBAs, IMAPI2's buffer,
 * the times), then let go.
 *
 * <p>IMAPI2 fires it on the thread that called {@code Write} (the recorder's apartment), which is the only place
 * {@code CancelWrite} may be called from: the listener does that when the agent asked the burn to stop. No exception
 * ever crosses back into native code.
 *
 * <p>Public only because JNA reads the vtable structure reflectively; not part of the agent's API.
 */
public final class WriteEventSink {

    private static final System.Logger LOG = System.getLogger(WriteEventSink.class.getName());

    /** The eight-entry vtable, in slot order. */
    @Structure.FieldOrder({"QueryInterface", "AddRef", "Release", "GetTypeInfoCount", "GetTypeInfo",
            "GetIDsOfNames", "Invoke", "Update"})
    public static final class VTable extends Structure {
        public ComEventSink.@Nullable QueryInterfaceCallback QueryInterface;
        public ComEventSink.@Nullable AddRefCallback AddRef;
        public ComEventSink.@Nullable ReleaseCallback Release;
        public ComEventSink.@Nullable GetTypeInfoCountCallback GetTypeInfoCount;
        public ComEventSink.@Nullable GetTypeInfoCallback GetTypeInfo;
        public ComEventSink.@Nullable GetIDsOfNamesCallback GetIDsOfNames;
        public ComEventSink.@Nullable InvokeCallback Invoke;
        public @Nullable UpdateCallback Update;
    }

    interface UpdateCallback extends com.sun.jna.Callback {
        int invoke(Pointer self, @Nullable Pointer object, @Nullable Pointer progress);
    }

    /** The number of vtable entries. */
    static final int VTABLE_SLOTS = 8;

    private final WriteProgressListener listener;
    private final VTable vtable = new VTable();
    private final Memory object = new Memory(Native.POINTER_SIZE);
    private final AtomicInteger references = new AtomicInteger(1);
    private final AtomicInteger throughInvoke = new AtomicInteger();
    private final AtomicInteger throughVtable = new AtomicInteger();

    /** A sink for this process's COM calling convention. */
    WriteEventSink(WriteProgressListener listener) {
        this(listener, Platform.isWindows() && !Platform.is64Bit());
    }

    WriteEventSink(WriteProgressListener listener, boolean stdcall) {
        this.listener = listener;
        vtable.QueryInterface = ComEventSink.entry(ComEventSink.QueryInterfaceCallback.class, this::queryInterface,
                stdcall);
        vtable.AddRef = ComEventSink.entry(ComEventSink.AddRefCallback.class, self -> references.incrementAndGet(),
                stdcall);
        vtable.Release = ComEventSink.entry(ComEventSink.ReleaseCallback.class,
                self -> Math.max(0, references.decrementAndGet()), stdcall);
        vtable.GetTypeInfoCount = ComEventSink.entry(ComEventSink.GetTypeInfoCountCallback.class, (self, count) -> {
            if (count == null) {
                return ComCodes.E_POINTER;
            }
            count.setInt(0, 0);
            return ComCodes.S_OK;
        }, stdcall);
        vtable.GetTypeInfo = ComEventSink.entry(ComEventSink.GetTypeInfoCallback.class, (self, i, lcid, info) -> {
            if (info != null) {
                info.setPointer(0, null);
            }
            return ComCodes.DISP_E_BADINDEX;
        }, stdcall);
        vtable.GetIDsOfNames = ComEventSink.entry(ComEventSink.GetIDsOfNamesCallback.class, this::getIDsOfNames,
                stdcall);
        vtable.Invoke = ComEventSink.entry(ComEventSink.InvokeCallback.class, this::invoke, stdcall);
        vtable.Update = ComEventSink.entry(UpdateCallback.class, (self, source, progress) -> {
            throughVtable.incrementAndGet();
            return update(progress);
        }, stdcall);
        vtable.write();
        object.setPointer(0, vtable.getPointer());
    }

    /** The COM interface pointer to hand to {@code IConnectionPoint::Advise}. */
    Pointer pointer() {
        return object;
    }

    /** The vtable (its Java side; tests read the entries). */
    VTable vtable() {
        return vtable;
    }

    /** The reference count: 1 (ours) plus what callers hold. */
    int references() {
        return references.get();
    }

    int deliveriesThroughInvoke() {
        return throughInvoke.get();
    }

    int deliveriesThroughVtable() {
        return throughVtable.get();
    }

    /** Lets go of the sink after {@code Unadvise}; keeps it for good if a caller still holds a reference. */
    boolean dispose() {
        int held = references.get() - 1;
        if (held <= 0) {
            return false;
        }
        LOG.log(Level.WARNING, "the write event sink is still referenced " + held + " time(s) after Unadvise");
        RETAINED.add(this);
        return true;
    }

    private static final java.util.Set<WriteEventSink> RETAINED = java.util.Collections.synchronizedSet(
            java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>()));

    private int queryInterface(Pointer self, @Nullable Pointer riid, @Nullable Pointer ppvObject) {
        if (ppvObject == null) {
            return ComCodes.E_POINTER;
        }
        String iid = riid == null ? "" : ComMemory.readGuid(riid);
        if (iid.equalsIgnoreCase(Imapi2Ids.IID_IUNKNOWN) || iid.equalsIgnoreCase(Imapi2Ids.IID_IDISPATCH)
                || iid.equalsIgnoreCase(Imapi2Ids.IID_DDISC_FORMAT2_DATA_EVENTS)) {
            references.incrementAndGet();
            ppvObject.setPointer(0, object);
            return ComCodes.S_OK;
        }
        ppvObject.setPointer(0, null);
        return ComCodes.E_NOINTERFACE;
    }

    private int getIDsOfNames(Pointer self, @Nullable Pointer riid, @Nullable Pointer names, int count, int lcid,
            @Nullable Pointer ids) {
        if (names == null || ids == null) {
            return ComCodes.E_POINTER;
        }
        int result = ComCodes.S_OK;
        for (int i = 0; i < count; i++) {
            int id = -1;
            if (i == 0 && "Update".equalsIgnoreCase(ComMemory.readOleString(names.getPointer(0)))) {
                id = Imapi2Ids.DISPID_DATA_EVENTS_UPDATE;
            }
            ids.setInt(4L * i, id);
            if (id == -1) {
                result = ComCodes.DISP_E_UNKNOWNNAME;
            }
        }
        return result;
    }

    private int invoke(Pointer self, int dispId, @Nullable Pointer riid, int lcid, short flags,
            @Nullable Pointer params, @Nullable Pointer result, @Nullable Pointer excepInfo,
            @Nullable Pointer argErr) {
        if (dispId != Imapi2Ids.DISPID_DATA_EVENTS_UPDATE) {
            return ComCodes.DISP_E_MEMBERNOTFOUND;
        }
        if (params == null || ComMemory.argumentCount(params) != 2) {
            return ComCodes.DISP_E_BADPARAMCOUNT;
        }
        if (ComMemory.namedArgumentCount(params) != 0) {
            return ComCodes.DISP_E_NONAMEDARGS;
        }
        Pointer argument = ComMemory.argument(params, 0); // rgvarg[0] is the last parameter: progress
        Pointer progress = argument == null ? null : ComMemory.variantInterface(argument);
        if (progress == null) {
            if (argErr != null) {
                argErr.setInt(0, 0);
            }
            return ComCodes.DISP_E_TYPEMISMATCH;
        }
        throughInvoke.incrementAndGet();
        return update(progress);
    }

    /** Reads the progress argument and hands it on; its reference stays the caller's. */
    private int update(@Nullable Pointer progress) {
        if (progress == null) {
            return ComCodes.E_POINTER;
        }
        WriteProgress read;
        try {
            read = read(progress);
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "reading the write progress failed", e);
            return ComCodes.S_OK; // the return value of an event is ignored; the write goes on
        }
        try {
            listener.update(read);
        } catch (RuntimeException e) {
            LOG.log(Level.ERROR, "the write progress listener failed", e);
        }
        return ComCodes.S_OK;
    }

    /** {@code QueryInterface(IDiscFormat2DataEventArgs)}, its getters through the vtable, {@code Release}. */
    static WriteProgress read(Pointer progress) {
        PointerByReference argsRef = new PointerByReference();
        ComVtable.check(ComVtable.queryInterface(progress, Imapi2Ids.IID_IDISC_FORMAT2_DATA_EVENT_ARGS, argsRef),
                "QueryInterface(IDiscFormat2DataEventArgs)");
        Pointer args = argsRef.getValue();
        try {
            return new WriteProgress(get(args, Imapi2Vtables.ARGS_GET_CURRENT_ACTION),
                    get(args, Imapi2Vtables.ARGS_GET_START_LBA), get(args, Imapi2Vtables.ARGS_GET_SECTOR_COUNT),
                    get(args, Imapi2Vtables.ARGS_GET_LAST_WRITTEN_LBA),
                    get(args, Imapi2Vtables.ARGS_GET_TOTAL_SYSTEM_BUFFER),
                    get(args, Imapi2Vtables.ARGS_GET_USED_SYSTEM_BUFFER),
                    get(args, Imapi2Vtables.ARGS_GET_ELAPSED_TIME), get(args, Imapi2Vtables.ARGS_GET_REMAINING_TIME),
                    get(args, Imapi2Vtables.ARGS_GET_TOTAL_TIME));
        } finally {
            ComVtable.release(args);
        }
    }

    private static int get(Pointer args, int slot) {
        IntByReference value = new IntByReference();
        ComVtable.check(ComVtable.call(args, slot, value.getPointer()), Imapi2Call.EVENT_ARGS);
        return value.getValue();
    }
}
