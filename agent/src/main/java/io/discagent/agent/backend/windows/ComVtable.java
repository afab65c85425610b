package io.discagent.agent.backend.windows;

import com.sun.jna.Function;
import com.sun.jna.Native;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;
import com.sun.jna.platform.win32.COM.COMException;
import com.sun.jna.platform.win32.Guid;
import com.sun.jna.platform.win32.WinNT.HRESULT;
import com.sun.jna.ptr.PointerByReference;
import io.discagent.api.error.HResult;

/**
 * Calls a COM interface's methods through its vtable: an interface pointer points at a pointer to the table of
 * function pointers, and each method takes the interface pointer first and returns an HRESULT.
 *
 * <p>COM methods use {@code __stdcall}: on 32-bit Windows that is JNA's {@link Function#ALT_CONVENTION}; on 64-bit
 * Windows and everywhere else there is one convention, {@link Function#C_CONVENTION} (jna-platform's own
 * {@code COMInvoker} always uses the C convention, which is wrong on 32-bit Windows only). Pure functions; the caller
 * keeps to the object's apartment.
 */
final class ComVtable {

    /** The calling convention of COM methods in this process. */
    static final int CONVENTION = Platform.isWindows() && !Platform.is64Bit() ? Function.ALT_CONVENTION
            : Function.C_CONVENTION;

    private ComVtable() {
    }

    /**
     * Calls vtable slot {@code slot} of the interface {@code object} with {@code args} after the interface pointer.
     *
     * @return the method's HRESULT
     */
    static int call(Pointer object, int slot, Object... args) {
        Object[] full = new Object[args.length + 1];
        full[0] = object;
        System.arraycopy(args, 0, full, 1, args.length);
        Pointer method = object.getPointer(0).getPointer((long) slot * Native.POINTER_SIZE);
        return Function.getFunction(method, CONVENTION).invokeInt(full);
    }

    /**
     * Throws a failed HRESULT as a {@link COMException} carrying it; a success (including {@code S_FALSE}) passes.
     *
     * @param what the call, for the message
     */
    static void check(int hr, Object what) {
        if (hr < 0) {
            throw new COMException(what + " failed (" + HResult.of(hr) + ")", new HRESULT(hr));
        }
    }

    /** {@code IUnknown::QueryInterface(riid, ppv)}. */
    static int queryInterface(Pointer object, String iid, PointerByReference result) {
        Guid.IID guid = new Guid.IID(iid);
        guid.write();
        return call(object, Imapi2Vtables.IUNKNOWN_QUERY_INTERFACE, guid.getPointer(), result.getPointer());
    }

    /** {@code IUnknown::AddRef()}: the new count (for diagnostics only, as COM says). */
    static int addRef(Pointer object) {
        return call(object, Imapi2Vtables.IUNKNOWN_ADD_REF);
    }

    /** {@code IUnknown::Release()}: the new count (for diagnostics only, as COM says). */
    static int release(Pointer object) {
        return call(object, Imapi2Vtables.IUNKNOWN_RELEASE);
    }
}
