package io.discagent.agent.backend.windows;

import com.sun.jna.Function;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;
import com.sun.jna.platform.win32.COM.Dispatch;
import com.sun.jna.platform.win32.Guid;
import com.sun.jna.platform.win32.Variant;
import com.sun.jna.platform.win32.WTypes;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.PointerByReference;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A native COM caller for tests: calls a COM object's vtable entries through JNA function pointers, as a connection
 * point would, and builds the OLE arguments in native memory (BSTRs by hand, VARIANTs with jna-platform's own
 * {@link Variant.VARIANT} structure, so the layout is not the one the code under test assumes). Works on Linux: there
 * is one calling convention there, and on 64-bit Windows; 32-bit Windows needs {@code __stdcall}.
 */
final class NativeCom {

    static final int CONVENTION = Platform.isWindows() && !Platform.is64Bit() ? Function.ALT_CONVENTION
            : Function.C_CONVENTION;
    static final short DISPATCH_METHOD = 1;
    static final String IID_NULL = "{00000000-0000-0000-0000-000000000000}";

    private NativeCom() {
    }

    /** The function pointer in a slot of the object's vtable. */
    static Pointer slot(Pointer object, int slot) {
        return object.getPointer(0).getPointer((long) slot * Native.POINTER_SIZE);
    }

    /** Calls vtable slot {@code slot} with {@code this} first, returning the 32-bit result. */
    static int call(Pointer object, int slot, Object... args) {
        Object[] full = new Object[args.length + 1];
        full[0] = object;
        System.arraycopy(args, 0, full, 1, args.length);
        return Function.getFunction(slot(object, slot), CONVENTION).invokeInt(full);
    }

    /** A GUID in native memory, written by jna-platform's {@link Guid.IID}. */
    static Guid.IID guid(String text) {
        Guid.IID iid = new Guid.IID(text);
        iid.write();
        return iid;
    }

    static int queryInterface(Pointer object, String iid, PointerByReference result) {
        Guid.IID guid = guid(iid);
        return call(object, 0, guid.getPointer(), result.getPointer());
    }

    static int addRef(Pointer object) {
        return call(object, 1);
    }

    static int release(Pointer object) {
        return call(object, 2);
    }

    /** A BSTR: a 4-byte byte count, UTF-16LE characters, a NUL character. Keep it reachable while in use. */
    static final class Bstr {
        final Memory memory;

        Bstr(String text) {
            byte[] bytes = text.getBytes(StandardCharsets.UTF_16LE);
            memory = new Memory(4L + bytes.length + 2);
            memory.setInt(0, bytes.length);
            memory.write(4, bytes, 0, bytes.length);
            memory.setShort(4L + bytes.length, (short) 0);
        }

        Pointer pointer() {
            return memory.share(4);
        }
    }

    /** A UTF-16 NUL-terminated string (an LPOLESTR). */
    static Memory oleString(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_16LE);
        Memory memory = new Memory(bytes.length + 2L);
        memory.write(0, bytes, 0, bytes.length);
        memory.setShort(bytes.length, (short) 0);
        return memory;
    }

    /**
     * A DISPPARAMS with positional arguments, already reversed as COM wants ({@code rgvarg[0]} is the last
     * parameter). C layout: {@code VARIANTARG* rgvarg; DISPID* rgdispidNamedArgs; UINT cArgs; UINT cNamedArgs}.
     */
    static final class DispParams {
        final Memory memory;
        final List<Object> keep = new ArrayList<>();

        DispParams(Memory rgvarg, int cArgs, int cNamedArgs) {
            memory = new Memory(2L * Native.POINTER_SIZE + 8);
            memory.setPointer(0, rgvarg);
            memory.setPointer(Native.POINTER_SIZE, null);
            memory.setInt(2L * Native.POINTER_SIZE, cArgs);
            memory.setInt(2L * Native.POINTER_SIZE + 4, cNamedArgs);
            keep.add(rgvarg);
        }
    }

    /** An array of {@code count} VARIANTs, written by {@link Variant.VARIANT}. */
    static Memory variants(int count) {
        int size = new Variant.VARIANT().size();
        Memory memory = new Memory((long) size * count);
        memory.clear();
        return memory;
    }

    static Variant.VARIANT variantAt(Memory array, int index) {
        int size = new Variant.VARIANT().size();
        return new Variant.VARIANT(array.share((long) size * index));
    }

    /** Writes a {@code VT_BSTR} VARIANT holding {@code bstr} at {@code array[index]}, with jna-platform's structure. */
    static void putBstr(Memory array, int index, Bstr bstr) {
        Variant.VARIANT variant = variantAt(array, index);
        variant.setValue(Variant.VT_BSTR, new WTypes.BSTR(bstr.pointer()));
        variant.write();
    }

    /** The arguments of a {@code DDiscMaster2Events} method over Invoke: {@code (IDispatch* sender, BSTR uniqueId)}. */
    static DispParams eventArguments(Pointer sender, Bstr uniqueId) {
        Memory rgvarg = variants(2);
        putBstr(rgvarg, 0, uniqueId);
        Variant.VARIANT from = variantAt(rgvarg, 1);
        from.setValue(Variant.VT_DISPATCH, new Dispatch(sender));
        from.write();
        DispParams params = new DispParams(rgvarg, 2, 0);
        params.keep.add(uniqueId);
        return params;
    }

    /** {@code IDispatch::Invoke(dispId, IID_NULL, 0, DISPATCH_METHOD, params, NULL, NULL, &argErr)}. */
    static int invoke(Pointer object, int dispId, DispParams params, IntByReference argErr) {
        Guid.IID iidNull = guid(IID_NULL);
        return call(object, 6, dispId, iidNull.getPointer(), 0, DISPATCH_METHOD, params.memory, null, null,
                argErr.getPointer());
    }

    /** Fires a {@code DDiscMaster2Events} event at a sink, through Invoke or through the direct slot. */
    static int fire(Pointer sink, boolean added, String uniqueId, boolean throughInvoke, Pointer sender) {
        Bstr id = new Bstr(uniqueId);
        if (throughInvoke) {
            int dispId = added ? Imapi2Ids.DISPID_EVENTS_NOTIFY_DEVICE_ADDED
                    : Imapi2Ids.DISPID_EVENTS_NOTIFY_DEVICE_REMOVED;
            return invoke(sink, dispId, eventArguments(sender, id), new IntByReference(-1));
        }
        int slot = added ? Imapi2Ids.SLOT_EVENTS_NOTIFY_DEVICE_ADDED : Imapi2Ids.SLOT_EVENTS_NOTIFY_DEVICE_REMOVED;
        return call(sink, slot, sender, id.pointer());
    }
}
