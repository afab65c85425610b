package io.discagent.agent.backend.windows;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.platform.win32.COM.COMException;
import com.sun.jna.platform.win32.OaIdl.SAFEARRAY;
import com.sun.jna.platform.win32.WTypes.BSTR;
import com.sun.jna.platform.win32.WTypes.VARTYPEByReference;
import com.sun.jna.platform.win32.WinDef.LONGByReference;
import com.sun.jna.platform.win32.WinDef.UINT;
import com.sun.jna.platform.win32.WinNT.HRESULT;
import com.sun.jna.ptr.PointerByReference;
import io.discagent.api.error.HResult;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * BSTRs and string SAFEARRAYs through OLE Automation, with their ownership explicit: the caller of {@link #allocate}
 * frees with {@link #free}, and what a COM method returns through an {@code [out]} parameter is read and then freed by
 * us ({@link #readAndFree}, {@link #readAndDestroy}).
 *
 * <p>The text is handed over as UTF-16 code units ({@code OLECHAR}, 2 bytes on every platform COM runs on) through
 * {@code SysAllocStringLen} and read back by {@code SysStringLen}, never as a Java {@code String} through JNA's
 * {@code wchar_t} mapping: jna-platform's {@code SysAllocString(String)} and {@code BSTR.getValue()} use the platform's
 * {@code wchar_t}, which is UTF-16 only on Windows. So the same code runs against the Linux test library.
 *
 * <p>Used on one apartment's thread at a time; holds no state of its own.
 */
final class OleStrings {

    private final ComLibraries libraries;

    OleStrings(ComLibraries libraries) {
        this.libraries = libraries;
    }

    /**
     * A new BSTR holding {@code text}; free it with {@link #free}.
     *
     * @throws COMException {@code E_OUTOFMEMORY} when OLE cannot allocate it
     */
    Pointer allocate(String text) {
        byte[] units = text.getBytes(StandardCharsets.UTF_16LE);
        Memory chars = new Memory(Math.max(units.length, 2));
        chars.write(0, units, 0, units.length);
        BSTR bstr = libraries.oleAutoExtras.SysAllocStringLen(chars, units.length / 2);
        Pointer pointer = bstr == null ? null : bstr.getPointer();
        if (pointer == null) {
            throw new COMException("SysAllocStringLen could not allocate a BSTR of " + units.length / 2
                    + " characters", new HRESULT(HResult.E_OUTOFMEMORY.code()));
        }
        return pointer;
    }

    /** {@code SysFreeString}; a NULL BSTR is nothing to free. */
    void free(@Nullable Pointer bstr) {
        if (bstr != null) {
            libraries.oleAuto.SysFreeString(new BSTR(bstr));
        }
    }

    /** The text of a BSTR ({@code SysStringLen} UTF-16 code units); a NULL BSTR is empty, as in OLE. */
    String read(@Nullable Pointer bstr) {
        if (bstr == null) {
            return "";
        }
        int length = libraries.oleAuto.SysStringLen(new BSTR(bstr));
        return new String(bstr.getByteArray(0, 2 * length), StandardCharsets.UTF_16LE);
    }

    /** Reads an {@code [out]} BSTR and frees it, whatever reading does. */
    String readAndFree(@Nullable Pointer bstr) {
        try {
            return read(bstr);
        } finally {
            free(bstr);
        }
    }

    /**
     * Reads the strings of an {@code [out]} SAFEARRAY (one dimension of {@code VT_VARIANT}s holding BSTRs, or of
     * {@code VT_BSTR}s) and destroys it, whatever reading does. A NULL or empty array has no strings; blank entries
     * are left out.
     *
     * @throws COMException when the array has another shape ({@code E_UNEXPECTED}) or an OLE call fails
     */
    List<String> readAndDestroy(@Nullable Pointer safeArray) {
        if (safeArray == null) {
            return List.of();
        }
        SAFEARRAY array = new SAFEARRAY(safeArray);
        array.setAutoWrite(false); // the array is OLE's: JNA must never write our copy of its header back
        RuntimeException failure = null;
        try {
            return strings(array);
        } catch (RuntimeException e) {
            failure = e;
            throw e;
        } finally {
            finish(libraries.oleAuto.SafeArrayDestroy(array), "SafeArrayDestroy", failure);
        }
    }

    /**
     * Reads the integers of an {@code [out]} SAFEARRAY (one dimension of {@code VT_VARIANT}s holding {@code VT_I4}s,
     * or of {@code VT_I4}s: profile numbers, media types) and destroys it, whatever reading does. A NULL or empty array
     * has none; entries that hold something else are left out.
     *
     * @throws COMException when the array has another shape ({@code E_UNEXPECTED}) or an OLE call fails
     */
    List<Integer> readIntsAndDestroy(@Nullable Pointer safeArray) {
        if (safeArray == null) {
            return List.of();
        }
        SAFEARRAY array = new SAFEARRAY(safeArray);
        array.setAutoWrite(false);
        RuntimeException failure = null;
        try {
            return ints(array);
        } catch (RuntimeException e) {
            failure = e;
            throw e;
        } finally {
            finish(libraries.oleAuto.SafeArrayDestroy(array), "SafeArrayDestroy", failure);
        }
    }

    private List<Integer> ints(SAFEARRAY array) {
        return elements(array, Imapi2Vtables.VT_I4, "VT_I4s", (data, i, vt) -> vt == Imapi2Vtables.VT_I4
                ? Integer.valueOf(data.getInt(i * 4))
                : ComMemory.variantInt(data.share(i * ComMemory.VARIANT_SIZE)));
    }

    private List<String> strings(SAFEARRAY array) {
        return elements(array, Imapi2Vtables.VT_BSTR, "BSTRs", (data, i, vt) -> {
            String text = vt == Imapi2Vtables.VT_BSTR ? read(data.getPointer(i * Native.POINTER_SIZE))
                    : ComMemory.variantString(data.share(i * ComMemory.VARIANT_SIZE));
            return text == null || text.isBlank() ? null : text;
        });
    }

    /** Reads element {@code i} of an accessed SAFEARRAY's data, of VARTYPE {@code vt}; null: none to keep. */
    private interface ElementReader<T> {
        @Nullable T read(Pointer data, long i, int vt);
    }

    /**
     * The elements of a one-dimensional SAFEARRAY of VARIANTs or of {@code plainType}: its dimensions and VARTYPE
     * checked, its bounds read, its data accessed while {@code reader} reads each element and unaccessed whatever
     * happens (a failing unaccess is added to the failure on its way, or thrown).
     */
    private <T> List<T> elements(SAFEARRAY array, int plainType, String plainName, ElementReader<T> reader) {
        int dimensions = libraries.oleAuto.SafeArrayGetDim(array).intValue();
        VARTYPEByReference type = new VARTYPEByReference();
        check(libraries.oleAuto.SafeArrayGetVartype(array, type), "SafeArrayGetVartype");
        int vt = type.getValue().intValue();
        if (dimensions != 1 || (vt != Imapi2Vtables.VT_VARIANT && vt != plainType)) {
            throw new COMException("expected a one-dimensional SAFEARRAY of VARIANTs or " + plainName + ", got "
                    + dimensions + " dimension(s) of VARTYPE " + vt, new HRESULT(ComCodes.E_UNEXPECTED));
        }
        LONGByReference lower = new LONGByReference();
        LONGByReference upper = new LONGByReference();
        check(libraries.oleAuto.SafeArrayGetLBound(array, new UINT(1), lower), "SafeArrayGetLBound");
        check(libraries.oleAuto.SafeArrayGetUBound(array, new UINT(1), upper), "SafeArrayGetUBound");
        long count = upper.getValue().longValue() - lower.getValue().longValue() + 1;
        if (count <= 0) {
            return List.of();
        }
        PointerByReference data = new PointerByReference();
        check(libraries.oleAuto.SafeArrayAccessData(array, data), "SafeArrayAccessData");
        RuntimeException failure = null;
        try {
            List<T> elements = new ArrayList<>((int) count);
            for (long i = 0; i < count; i++) {
                T element = reader.read(data.getValue(), i, vt);
                if (element != null) {
                    elements.add(element);
                }
            }
            return elements;
        } catch (RuntimeException e) {
            failure = e;
            throw e;
        } finally {
            finish(libraries.oleAuto.SafeArrayUnaccessData(array), "SafeArrayUnaccessData", failure);
        }
    }

    /** The cleanup call's failure: thrown, or added to the failure already on its way. */
    private static void finish(HRESULT hr, String function, @Nullable RuntimeException failure) {
        if (hr.intValue() >= 0) {
            return;
        }
        COMException cleanup = new COMException(function + " failed (" + HResult.of(hr.intValue()) + ")", hr);
        if (failure == null) {
            throw cleanup;
        }
        failure.addSuppressed(cleanup);
    }

    private static void check(HRESULT hr, String function) {
        if (hr.intValue() < 0) {
            throw new COMException(function + " failed (" + HResult.of(hr.intValue()) + ")", hr);
        }
    }
}
