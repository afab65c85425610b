package io.discagent.agent.backend.windows;

import com.sun.jna.Callback;
import com.sun.jna.Pointer;
import java.lang.System.Logger.Level;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * Our {@code DDiscMaster2Events} sink: a COM object in native memory whose vtable has nine entries, the seven of
 * {@code IDispatch} followed by {@code NotifyDeviceAdded} (slot 7) and {@code NotifyDeviceRemoved} (slot 8). IMAPI2 may
 * fire an event through {@code IDispatch::Invoke} (DISPID {@code 0x100}/{@code 0x101}) or call the slot directly
 * (reference 3.2: which one is not documented); both reach the same {@link Handler}. jna-platform's own sink has only
 * the seven {@code IDispatch} entries, so a direct call would run off its table.
 *
 * <p>{@code QueryInterface} (answering {@code IUnknown}, {@code IDispatch} and {@code DDiscMaster2Events}), the
 * {@code IDispatch} entries and the reference count are those of every {@link JavaEventSink}. The native memory
 * belongs to this Java object, which the backend keeps strongly reachable for the whole advise lifetime and, should a
 * caller still hold a reference when it lets go, {@link #dispose()} keeps it alive until that reference is released.
 *
 * <h2>Threads</h2>
 * IMAPI2 calls the entry points on the control worker while it pumps messages (an apartment-threaded object) or on a
 * thread of its own (a free-threaded one). Each entry point only decodes its arguments and passes the unique id to
 * the handler, which must return at once; no exception ever crosses back into native code.
 */
final class ComEventSink extends JavaEventSink {

    private static final System.Logger LOG = System.getLogger(ComEventSink.class.getName());

    /** What the sink reports. Called on whatever thread IMAPI2 uses; must only queue the id and return. */
    interface Handler {

        void deviceAdded(String uniqueId);

        void deviceRemoved(String uniqueId);
    }

    interface NotifyCallback extends Callback {
        int invoke(Pointer self, @Nullable Pointer sender, @Nullable Pointer uniqueId);
    }

    /** The number of vtable entries. */
    static final int VTABLE_SLOTS = 9;

    private final Handler handler;
    private final AtomicInteger throughInvoke = new AtomicInteger();
    private final AtomicInteger throughVtable = new AtomicInteger();
    private final AtomicInteger afterDispose = new AtomicInteger();

    /** A sink for this process's COM calling convention. */
    ComEventSink(Handler handler) {
        this(handler, STDCALL);
    }

    /**
     * @param handler receives the events
     * @param stdcall whether the entry points must use {@code __stdcall} (32-bit Windows)
     */
    ComEventSink(Handler handler, boolean stdcall) {
        super("the device event sink", stdcall, Imapi2Ids.IID_DDISC_MASTER2_EVENTS, Map.of(
                "NotifyDeviceAdded", Imapi2Ids.DISPID_EVENTS_NOTIFY_DEVICE_ADDED,
                "NotifyDeviceRemoved", Imapi2Ids.DISPID_EVENTS_NOTIFY_DEVICE_REMOVED));
        this.handler = handler;
        writeEventVtable(
                entry(NotifyCallback.class,
                        (self, sender, id) -> notify(Imapi2Ids.DISPID_EVENTS_NOTIFY_DEVICE_ADDED, id)),
                entry(NotifyCallback.class,
                        (self, sender, id) -> notify(Imapi2Ids.DISPID_EVENTS_NOTIFY_DEVICE_REMOVED, id)));
    }

    /** How many events arrived through {@code IDispatch::Invoke}. */
    int deliveriesThroughInvoke() {
        return throughInvoke.get();
    }

    /**
     * How many events arrived after {@link #dispose()}: a source that calls late. The backend disposes the sink only
     * after it released the source and left the apartment, so this stays 0 unless a source misbehaves.
     */
    int deliveriesAfterDispose() {
        return afterDispose.get();
    }

    /** How many events arrived through the direct vtable slots. */
    int deliveriesThroughVtable() {
        return throughVtable.get();
    }

    /** {@code Invoke(0x100/0x101)}: {@code rgvarg[0]} is the unique id. */
    @Override
    int invokeEvent(int dispId, Pointer lastArgument) {
        String uniqueId = ComMemory.variantString(lastArgument);
        if (uniqueId == null) {
            return ComCodes.DISP_E_TYPEMISMATCH;
        }
        throughInvoke.incrementAndGet();
        deliver(dispId, uniqueId);
        return ComCodes.S_OK;
    }

    /** The direct slots 7 and 8. */
    private int notify(int dispId, @Nullable Pointer uniqueIdBstr) {
        String uniqueId = ComMemory.readBstr(uniqueIdBstr);
        if (uniqueId == null) {
            return ComCodes.E_INVALIDARG;
        }
        throughVtable.incrementAndGet();
        deliver(dispId, uniqueId);
        return ComCodes.S_OK;
    }

    private void deliver(int dispId, String uniqueId) {
        if (isDisposed()) {
            afterDispose.incrementAndGet();
            LOG.log(Level.WARNING, "a device event arrived after the sink was let go: " + uniqueId);
        }
        try {
            if (dispId == Imapi2Ids.DISPID_EVENTS_NOTIFY_DEVICE_ADDED) {
                handler.deviceAdded(uniqueId);
            } else {
                handler.deviceRemoved(uniqueId);
            }
        } catch (RuntimeException e) {
            LOG.log(Level.ERROR, "the device event handler failed for " + uniqueId, e);
        }
    }
}
