package io.discagent.agent.backend.windows;

import com.sun.jna.AltCallingConvention;
import com.sun.jna.Callback;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;
import com.sun.jna.Structure;
import java.lang.System.Logger.Level;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * Our {@code DDiscMaster2Events} sink: a COM object in native memory whose vtable has nine entries, the seven of
 * {@code IDispatch} followed by {@code NotifyDeviceAdded} (slot 7) and {@code NotifyDeviceRemoved} (slot 8). IMAPI2 may
 * fire an event through {@code IDispatch::Invoke} (DISPID {@code 0x100}/{@code 0x101}) or call the slot directly
 * (reference 3.2: which one is not documented); both reach the same {@link Handler}. jna-platform's own sink has only
 * the seven {@code IDispatch} entries, so a direct call would run off its table.
 *
 * <p>{@code QueryInterface} answers {@code IUnknown}, {@code IDispatch} and {@code DDiscMaster2Events} with this same
 * object, and {@code E_NOINTERFACE} otherwise. {@code AddRef}/{@code Release} count references; the native memory
 * belongs to this Java object, which the backend keeps strongly reachable for the whole advise lifetime and, should a
 * caller still hold a reference when it lets go, {@link #dispose()} keeps it alive for good.
 *
 * <h2>Threads</h2>
 * IMAPI2 calls the entry points on the control worker while it pumps messages (an apartment-threaded object) or on a
 * thread of its own (a free-threaded one). Each entry point only decodes its arguments and passes the unique id to
 * the handler, which must return at once; no exception ever crosses back into native code. On 32-bit Windows the
 * entry points use {@code __stdcall}, the COM convention; elsewhere there is only one convention.
 *
 * <p>Public only because JNA reads the vtable {@link VTable structure} reflectively; not part of the agent's API.
 */
public final class ComEventSink {

    private static final System.Logger LOG = System.getLogger(ComEventSink.class.getName());
    private static final Set<ComEventSink> RETAINED = Collections.synchronizedSet(
            Collections.newSetFromMap(new IdentityHashMap<>()));
    private static final int DISPID_UNKNOWN = -1;

    /** What the sink reports. Called on whatever thread IMAPI2 uses; must only queue the id and return. */
    interface Handler {

        void deviceAdded(String uniqueId);

        void deviceRemoved(String uniqueId);
    }

    interface QueryInterfaceCallback extends Callback {
        int invoke(Pointer self, @Nullable Pointer riid, @Nullable Pointer ppvObject);
    }

    interface AddRefCallback extends Callback {
        int invoke(Pointer self);
    }

    interface ReleaseCallback extends Callback {
        int invoke(Pointer self);
    }

    interface GetTypeInfoCountCallback extends Callback {
        int invoke(Pointer self, @Nullable Pointer pctinfo);
    }

    interface GetTypeInfoCallback extends Callback {
        int invoke(Pointer self, int iTInfo, int lcid, @Nullable Pointer ppTInfo);
    }

    interface GetIDsOfNamesCallback extends Callback {
        int invoke(Pointer self, @Nullable Pointer riid, @Nullable Pointer rgszNames, int cNames, int lcid,
                @Nullable Pointer rgDispId);
    }

    interface InvokeCallback extends Callback {
        int invoke(Pointer self, int dispIdMember, @Nullable Pointer riid, int lcid, short wFlags,
                @Nullable Pointer pDispParams, @Nullable Pointer pVarResult, @Nullable Pointer pExcepInfo,
                @Nullable Pointer puArgErr);
    }

    interface NotifyCallback extends Callback {
        int invoke(Pointer self, @Nullable Pointer sender, @Nullable Pointer uniqueId);
    }

    /** The nine-entry vtable, in slot order. */
    @Structure.FieldOrder({"QueryInterface", "AddRef", "Release", "GetTypeInfoCount", "GetTypeInfo",
            "GetIDsOfNames", "Invoke", "NotifyDeviceAdded", "NotifyDeviceRemoved"})
    public static final class VTable extends Structure {
        public @Nullable QueryInterfaceCallback QueryInterface;
        public @Nullable AddRefCallback AddRef;
        public @Nullable ReleaseCallback Release;
        public @Nullable GetTypeInfoCountCallback GetTypeInfoCount;
        public @Nullable GetTypeInfoCallback GetTypeInfo;
        public @Nullable GetIDsOfNamesCallback GetIDsOfNames;
        public @Nullable InvokeCallback Invoke;
        public @Nullable NotifyCallback NotifyDeviceAdded;
        public @Nullable NotifyCallback NotifyDeviceRemoved;
    }

    /** The number of vtable entries. */
    static final int VTABLE_SLOTS = 9;

    private final Handler handler;
    private final VTable vtable = new VTable();
    private final Memory object = new Memory(Native.POINTER_SIZE);
    private final AtomicInteger references = new AtomicInteger(1);
    private final AtomicInteger throughInvoke = new AtomicInteger();
    private final AtomicInteger throughVtable = new AtomicInteger();
    private final AtomicInteger afterDispose = new AtomicInteger();
    private volatile boolean disposed;

    /** A sink for this process's COM calling convention. */
    ComEventSink(Handler handler) {
        this(handler, Platform.isWindows() && !Platform.is64Bit());
    }

    /**
     * @param handler receives the events
     * @param stdcall whether the entry points must use {@code __stdcall} (32-bit Windows)
     */
    ComEventSink(Handler handler, boolean stdcall) {
        this.handler = handler;
        vtable.QueryInterface = entry(QueryInterfaceCallback.class, this::queryInterface, stdcall);
        vtable.AddRef = entry(AddRefCallback.class, self -> references.incrementAndGet(), stdcall);
        vtable.Release = entry(ReleaseCallback.class, self -> Math.max(0, references.decrementAndGet()), stdcall);
        vtable.GetTypeInfoCount = entry(GetTypeInfoCountCallback.class, this::getTypeInfoCount, stdcall);
        vtable.GetTypeInfo = entry(GetTypeInfoCallback.class, this::getTypeInfo, stdcall);
        vtable.GetIDsOfNames = entry(GetIDsOfNamesCallback.class, this::getIDsOfNames, stdcall);
        vtable.Invoke = entry(InvokeCallback.class, this::invoke, stdcall);
        vtable.NotifyDeviceAdded = entry(NotifyCallback.class,
                (self, sender, id) -> notify(Imapi2Ids.DISPID_EVENTS_NOTIFY_DEVICE_ADDED, id), stdcall);
        vtable.NotifyDeviceRemoved = entry(NotifyCallback.class,
                (self, sender, id) -> notify(Imapi2Ids.DISPID_EVENTS_NOTIFY_DEVICE_REMOVED, id), stdcall);
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

    /** How many events arrived through {@code IDispatch::Invoke}. */
    int deliveriesThroughInvoke() {
        return throughInvoke.get();
    }

    /** Whether {@link #dispose()} was called. */
    boolean isDisposed() {
        return disposed;
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

    /**
     * Lets go of the sink after {@code Unadvise}. If a caller still holds a reference, the sink is kept reachable
     * for the rest of the process, so a late call never lands in freed memory.
     *
     * @return whether the sink had to be kept alive
     */
    boolean dispose() {
        disposed = true;
        int held = references.get() - 1;
        if (held <= 0) {
            return false;
        }
        LOG.log(Level.WARNING, "the device event sink is still referenced " + held
                + " time(s) after Unadvise; keeping it alive");
        RETAINED.add(this);
        return true;
    }

    // ------------------------------------------------------------------------------------------------ IUnknown

    private int queryInterface(Pointer self, @Nullable Pointer riid, @Nullable Pointer ppvObject) {
        if (ppvObject == null) {
            return ComCodes.E_POINTER;
        }
        String iid = riid == null ? "" : ComMemory.readGuid(riid);
        if (iid.equalsIgnoreCase(Imapi2Ids.IID_IUNKNOWN) || iid.equalsIgnoreCase(Imapi2Ids.IID_IDISPATCH)
                || iid.equalsIgnoreCase(Imapi2Ids.IID_DDISC_MASTER2_EVENTS)) {
            references.incrementAndGet();
            ppvObject.setPointer(0, object);
            return ComCodes.S_OK;
        }
        ppvObject.setPointer(0, null);
        return ComCodes.E_NOINTERFACE;
    }

    // ------------------------------------------------------------------------------------------------ IDispatch

    private int getTypeInfoCount(Pointer self, @Nullable Pointer pctinfo) {
        if (pctinfo == null) {
            return ComCodes.E_POINTER;
        }
        pctinfo.setInt(0, 0);
        return ComCodes.S_OK;
    }

    private int getTypeInfo(Pointer self, int iTInfo, int lcid, @Nullable Pointer ppTInfo) {
        if (ppTInfo != null) {
            ppTInfo.setPointer(0, null);
        }
        return ComCodes.DISP_E_BADINDEX;
    }

    private int getIDsOfNames(Pointer self, @Nullable Pointer riid, @Nullable Pointer rgszNames, int cNames, int lcid,
            @Nullable Pointer rgDispId) {
        if (rgszNames == null || rgDispId == null) {
            return ComCodes.E_POINTER;
        }
        int result = ComCodes.S_OK;
        for (int i = 0; i < cNames; i++) {
            int dispId = DISPID_UNKNOWN;
            if (i == 0) {
                String name = ComMemory.readOleString(rgszNames.getPointer((long) i * Native.POINTER_SIZE));
                if ("NotifyDeviceAdded".equalsIgnoreCase(name)) {
                    dispId = Imapi2Ids.DISPID_EVENTS_NOTIFY_DEVICE_ADDED;
                } else if ("NotifyDeviceRemoved".equalsIgnoreCase(name)) {
                    dispId = Imapi2Ids.DISPID_EVENTS_NOTIFY_DEVICE_REMOVED;
                }
            }
            rgDispId.setInt(4L * i, dispId);
            if (dispId == DISPID_UNKNOWN) {
                result = ComCodes.DISP_E_UNKNOWNNAME;
            }
        }
        return result;
    }

    private int invoke(Pointer self, int dispIdMember, @Nullable Pointer riid, int lcid, short wFlags,
            @Nullable Pointer pDispParams, @Nullable Pointer pVarResult, @Nullable Pointer pExcepInfo,
            @Nullable Pointer puArgErr) {
        if (dispIdMember != Imapi2Ids.DISPID_EVENTS_NOTIFY_DEVICE_ADDED
                && dispIdMember != Imapi2Ids.DISPID_EVENTS_NOTIFY_DEVICE_REMOVED) {
            return ComCodes.DISP_E_MEMBERNOTFOUND;
        }
        if (pDispParams == null || ComMemory.argumentCount(pDispParams) != 2) {
            return ComCodes.DISP_E_BADPARAMCOUNT;
        }
        if (ComMemory.namedArgumentCount(pDispParams) != 0) {
            return ComCodes.DISP_E_NONAMEDARGS;
        }
        Pointer uniqueIdArgument = ComMemory.argument(pDispParams, 0); // rgvarg[0] is the last parameter, uniqueId
        String uniqueId = uniqueIdArgument == null ? null : ComMemory.variantString(uniqueIdArgument);
        if (uniqueId == null) {
            if (puArgErr != null) {
                puArgErr.setInt(0, 0);
            }
            return ComCodes.DISP_E_TYPEMISMATCH;
        }
        throughInvoke.incrementAndGet();
        deliver(dispIdMember, uniqueId);
        return ComCodes.S_OK;
    }

    // ------------------------------------------------------------------------------------------------ DDiscMaster2Events

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
        if (disposed) {
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

    // ------------------------------------------------------------------------------------------------ entry points

    /**
     * An entry point that never lets a Java exception reach native code ({@code E_UNEXPECTED} instead), in the
     * COM calling convention: on 32-bit Windows a proxy that also implements {@link AltCallingConvention}, which is
     * how JNA picks {@code __stdcall} for a callback.
     */
    static <T extends Callback> T entry(Class<T> type, T target, boolean stdcall) {
        Object guarded = Proxy.newProxyInstance(type.getClassLoader(),
                stdcall ? new Class<?>[] {type, AltCallingConvention.class} : new Class<?>[] {type},
                (proxy, method, args) -> {
                    if (method.getDeclaringClass() == Object.class) {
                        return objectMethod(proxy, method.getName(), args);
                    }
                    try {
                        return method.invoke(target, args);
                    } catch (InvocationTargetException e) {
                        LOG.log(Level.ERROR, "COM entry point " + type.getSimpleName() + " failed", e.getCause());
                        return ComCodes.E_UNEXPECTED;
                    } catch (RuntimeException | LinkageError e) {
                        LOG.log(Level.ERROR, "COM entry point " + type.getSimpleName() + " failed", e);
                        return ComCodes.E_UNEXPECTED;
                    }
                });
        return type.cast(guarded);
    }

    private static Object objectMethod(Object proxy, String name, Object @Nullable [] args) {
        switch (name) {
            case "equals":
                return args != null && proxy == args[0];
            case "hashCode":
                return System.identityHashCode(proxy);
            default:
                return "ComEventSink entry@" + Integer.toHexString(System.identityHashCode(proxy));
        }
    }
}
