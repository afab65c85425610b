package io.discagent.agent.backend.windows;

import com.sun.jna.Callback;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.PointerByReference;
import io.discagent.agent.backend.windows.Imapi2.WriteProgress;
import io.discagent.agent.backend.windows.Imapi2.WriteProgressListener;
import java.lang.System.Logger.Level;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * Our {@code DDiscFormat2DataEvents} sink: a COM object in native memory whose vtable has the seven entries of
 * {@code IDispatch} and {@code Update} (slot 7). IMAPI2 fires {@code Update(IDispatch* object, IDispatch* progress)}
 * through {@code IDispatch::Invoke} (DISPID {@code 0x200}) or the slot directly, as it does for the disc master's
 * events ({@link ComEventSink}); both reach the same listener. The progress argument is asked for
 * {@code IDiscFormat2DataEventArgs} and read through its vtable ({@code CurrentAction}, the LBAs, IMAPI2's buffer,
 * the times), then let go. {@code QueryInterface}, the {@code IDispatch} entries and the reference count are those of
 * every {@link JavaEventSink}.
 *
 * <p>IMAPI2 fires it on the thread that called {@code Write} (the recorder's apartment), which is the only place
 * {@code CancelWrite} may be called from: the listener does that when the agent asked the burn to stop. No exception
 * ever crosses back into native code.
 */
final class WriteEventSink extends JavaEventSink {

    private static final System.Logger LOG = System.getLogger(WriteEventSink.class.getName());

    interface UpdateCallback extends Callback {
        int invoke(Pointer self, @Nullable Pointer object, @Nullable Pointer progress);
    }

    /** The number of vtable entries. */
    static final int VTABLE_SLOTS = 8;

    private final WriteProgressListener listener;
    private final AtomicInteger throughInvoke = new AtomicInteger();
    private final AtomicInteger throughVtable = new AtomicInteger();

    /** A sink for this process's COM calling convention. */
    WriteEventSink(WriteProgressListener listener) {
        this(listener, STDCALL);
    }

    WriteEventSink(WriteProgressListener listener, boolean stdcall) {
        super("the write event sink", stdcall, Imapi2Ids.IID_DDISC_FORMAT2_DATA_EVENTS,
                Map.of("Update", Imapi2Ids.DISPID_DATA_EVENTS_UPDATE));
        this.listener = listener;
        writeEventVtable(entry(UpdateCallback.class, (self, source, progress) -> {
            throughVtable.incrementAndGet();
            return update(progress);
        }));
    }

    int deliveriesThroughInvoke() {
        return throughInvoke.get();
    }

    int deliveriesThroughVtable() {
        return throughVtable.get();
    }

    /** {@code Invoke(0x200)}: {@code rgvarg[0]} is the progress, an {@code IDispatch}. */
    @Override
    int invokeEvent(int dispId, Pointer lastArgument) {
        Pointer progress = ComMemory.variantInterface(lastArgument);
        if (progress == null) {
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
