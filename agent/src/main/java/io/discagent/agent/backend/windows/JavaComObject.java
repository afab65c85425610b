package io.discagent.agent.backend.windows;

import com.sun.jna.AltCallingConvention;
import com.sun.jna.Callback;
import com.sun.jna.CallbackReference;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;
import java.lang.System.Logger.Level;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * A COM object written in Java: an interface pointer in native memory that points at a vtable of JNA callbacks,
 * {@code IUnknown}'s three entries first, then the subclass's own. This base does what every such object does the
 * same way, so that {@link ComEventSink}, {@link WriteEventSink} and {@link ImageStream} keep only their own slots:
 * <ul>
 * <li>the vtable memory and its callbacks, strongly reachable as long as the object is (JNA frees a callback's native
 * code once its Java object is gone);</li>
 * <li>the reference count: 1 (the owner's) plus what COM callers hold;</li>
 * <li>{@code QueryInterface}: this same object, with a reference, for {@code IUnknown} and the interfaces the
 * subclass declares; {@code E_NOINTERFACE} (and a null result) for any other; {@code E_POINTER} without a place for
 * the result;</li>
 * <li>the keep-alive: when the owner lets go ({@link #dispose()}) while a caller still holds a reference, the object
 * stays reachable until the last of those references is released, so a late call never lands in freed memory.</li>
 * </ul>
 *
 * <h2>Threads</h2>
 * The entries run on whatever thread the COM caller uses: the native worker while it pumps its apartment, or a
 * thread of the caller's own. The count and the keep-alive share one lock, held only for their bookkeeping. No
 * exception ever crosses back into native code ({@link #entry(Class, Callback, boolean)}). On 32-bit Windows the
 * entries use {@code __stdcall}, the COM convention; elsewhere there is only one convention.
 */
abstract class JavaComObject {

    private static final System.Logger LOG = System.getLogger(JavaComObject.class.getName());
    /** Objects let go by their owner while COM callers still held references. */
    private static final Set<JavaComObject> KEPT_ALIVE = Collections.synchronizedSet(
            Collections.newSetFromMap(new IdentityHashMap<>()));

    /** Whether this process's COM entry points use {@code __stdcall} (32-bit Windows). */
    static final boolean STDCALL = Platform.isWindows() && !Platform.is64Bit();

    interface QueryInterfaceCallback extends Callback {
        int invoke(Pointer self, @Nullable Pointer riid, @Nullable Pointer ppvObject);
    }

    interface AddRefCallback extends Callback {
        int invoke(Pointer self);
    }

    interface ReleaseCallback extends Callback {
        int invoke(Pointer self);
    }

    private final String description;
    private final boolean stdcall;
    private final List<String> interfaces;
    private final List<Callback> entries = new ArrayList<>();
    private final Memory object = new Memory(Native.POINTER_SIZE);
    private @Nullable Memory vtable;
    private final Object lock = new Object();
    private int references = 1; // guarded by lock
    private volatile boolean disposed; // written under lock

    /**
     * @param description what the object is, for the log ("the image stream")
     * @param stdcall whether the entry points must use {@code __stdcall} (32-bit Windows)
     * @param interfaces the IIDs {@code QueryInterface} answers besides {@code IUnknown}
     */
    JavaComObject(String description, boolean stdcall, String... interfaces) {
        this.description = description;
        this.stdcall = stdcall;
        this.interfaces = List.of(interfaces);
        entries.add(entry(QueryInterfaceCallback.class, this::queryInterface));
        entries.add(entry(AddRefCallback.class, self -> addRef()));
        entries.add(entry(ReleaseCallback.class, self -> release()));
    }

    /**
     * Writes the vtable: {@code IUnknown}'s three entries, then {@code own} from slot 3 on. The subclass calls it once,
     * at the end of its constructor; until then {@link #pointer()} is not usable.
     */
    final void writeVtable(Callback... own) {
        if (vtable != null) {
            throw new IllegalStateException(description + ": the vtable is already written");
        }
        entries.addAll(List.of(own));
        Memory table = new Memory((long) entries.size() * Native.POINTER_SIZE);
        for (int slot = 0; slot < entries.size(); slot++) {
            table.setPointer((long) slot * Native.POINTER_SIZE, CallbackReference.getFunctionPointer(entries.get(slot)));
        }
        vtable = table;
        object.setPointer(0, table);
    }

    /** An entry point of this object, in its calling convention (see {@link #entry(Class, Callback, boolean)}). */
    final <T extends Callback> T entry(Class<T> type, T target) {
        return entry(type, target, stdcall);
    }

    /** The COM interface pointer to hand to native code. */
    final Pointer pointer() {
        if (vtable == null) {
            throw new IllegalStateException(description + ": the vtable is not written yet");
        }
        return object;
    }

    /** The number of vtable entries. */
    final int slots() {
        return entries.size();
    }

    /** The callback in vtable slot {@code slot} (tests compare it with the native table). */
    final Callback entryAt(int slot) {
        return entries.get(slot);
    }

    /** The reference count: 1 (the owner's) plus what callers hold. */
    final int references() {
        synchronized (lock) {
            return references;
        }
    }

    /** Whether the owner let go ({@link #dispose()}). */
    final boolean isDisposed() {
        return disposed;
    }

    /** Whether the object is kept reachable because callers still hold references after {@link #dispose()}. */
    final boolean isKeptAlive() {
        return KEPT_ALIVE.contains(this);
    }

    /**
     * The owner lets go of the object (after {@code Unadvise}, after {@code Write}). If a caller still holds a
     * reference, the object is kept reachable until the last such reference is released.
     *
     * @return whether the object had to be kept alive
     */
    final boolean dispose() {
        int held;
        synchronized (lock) {
            disposed = true;
            held = references - 1;
            if (held > 0) {
                KEPT_ALIVE.add(this);
            }
        }
        if (held > 0) {
            LOG.log(Level.WARNING, description + " is still referenced " + held
                    + " time(s) after its owner let go; keeping it alive until they are released");
        }
        return held > 0;
    }

    // ------------------------------------------------------------------------------------------------ IUnknown

    private int queryInterface(Pointer self, @Nullable Pointer riid, @Nullable Pointer ppvObject) {
        if (ppvObject == null) {
            return ComCodes.E_POINTER;
        }
        if (riid != null && answers(ComMemory.readGuid(riid))) {
            addRef();
            ppvObject.setPointer(0, object);
            return ComCodes.S_OK;
        }
        ppvObject.setPointer(0, null);
        return ComCodes.E_NOINTERFACE;
    }

    private boolean answers(String iid) {
        if (iid.equalsIgnoreCase(Imapi2Ids.IID_IUNKNOWN)) {
            return true;
        }
        for (String answered : interfaces) {
            if (iid.equalsIgnoreCase(answered)) {
                return true;
            }
        }
        return false;
    }

    private int addRef() {
        synchronized (lock) {
            return ++references;
        }
    }

    /**
     * The count goes down; it never reports less than 0 to a caller that releases too often. When the owner has let
     * go and the last caller's reference goes, the keep-alive ends. The Java frame of this call still holds the
     * object; JNA frees a callback's native memory only once the callback, and after it JNA's own reference to it,
     * have been collected (two collections at the least), which leaves this call ample time to return.
     */
    private int release() {
        boolean lastAfterDispose;
        int left;
        synchronized (lock) {
            left = --references;
            lastAfterDispose = disposed && left == 1 && KEPT_ALIVE.remove(this);
        }
        if (lastAfterDispose) {
            LOG.log(Level.DEBUG, description + " was released by its last caller; no longer kept alive");
        }
        return Math.max(0, left);
    }

    // ------------------------------------------------------------------------------------------------ entry points

    /**
     * An entry point that never lets a Java exception reach native code ({@code E_UNEXPECTED} instead), in the COM
     * calling convention: on 32-bit Windows a proxy that also implements {@link AltCallingConvention}, which is how
     * JNA picks {@code __stdcall} for a callback.
     */
    static <T extends Callback> T entry(Class<T> type, T target, boolean stdcall) {
        Object guarded = Proxy.newProxyInstance(type.getClassLoader(),
                stdcall ? new Class<?>[] {type, AltCallingConvention.class} : new Class<?>[] {type},
                (proxy, method, args) -> {
                    if (method.getDeclaringClass() == Object.class) {
                        return objectMethod(proxy, type, method.getName(), args);
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

    private static Object objectMethod(Object proxy, Class<?> type, String name, Object @Nullable [] args) {
        switch (name) {
            case "equals":
                return args != null && proxy == args[0];
            case "hashCode":
                return System.identityHashCode(proxy);
            default:
                return "COM entry " + type.getSimpleName() + "@" + Integer.toHexString(System.identityHashCode(proxy));
        }
    }
}
