package io.discagent.agent.backend.windows;

import com.sun.jna.Native;
import com.sun.jna.Pointer;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * Reads the OLE structures a COM caller hands to our event sink, straight from native memory and independent of the
 * platform's {@code wchar_t} (so it works, and is tested, on Linux too): GUIDs, BSTRs, OLE strings, VARIANTs and
 * DISPPARAMS. Layouts are those of {@code oaidl.h}/{@code wtypes.h}:
 * <ul>
 * <li>GUID: {@code DWORD Data1; WORD Data2; WORD Data3; BYTE Data4[8]} in native byte order;</li>
 * <li>BSTR: a pointer to UTF-16LE characters, preceded by a 4-byte length in bytes;</li>
 * <li>VARIANT: {@code VARTYPE vt} and three reserved WORDs, then the value at offset 8; 16 bytes on 32-bit and 24 on
 * 64-bit processes;</li>
 * <li>DISPPARAMS: {@code VARIANTARG* rgvarg; DISPID* rgdispidNamedArgs; UINT cArgs; UINT cNamedArgs}, with the
 * arguments in reverse order ({@code rgvarg[0]} is the last parameter).</li>
 * </ul>
 * Pure functions; any thread.
 */
final class ComMemory {

    static final int VT_BSTR = 8;
    static final int VT_VARIANT = 12;
    static final int VT_BYREF = 0x4000;
    static final int VT_I2 = 2;
    static final int VT_I4 = 3;
    static final int VT_DISPATCH = 9;
    static final int VT_UNKNOWN = 13;
    static final int VT_UI4 = 19;
    static final int VT_INT = 22;
    static final int VARIANT_VALUE_OFFSET = 8;
    static final int VARIANT_SIZE = Native.POINTER_SIZE == 8 ? 24 : 16;

    /** The longest BSTR we accept (a unique id is a device path, far shorter): a guard against garbage. */
    private static final int MAX_BSTR_BYTES = 64 * 1024;

    private ComMemory() {
    }

    /** The GUID at {@code p}, as {@code {XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}} in upper case. */
    static String readGuid(Pointer p) {
        byte[] d4 = p.getByteArray(8, 8);
        return String.format(Locale.ROOT, "{%08X-%04X-%04X-%02X%02X-%02X%02X%02X%02X%02X%02X}", p.getInt(0),
                p.getShort(4) & 0xFFFF, p.getShort(6) & 0xFFFF, d4[0], d4[1], d4[2], d4[3], d4[4], d4[5], d4[6], d4[7]);
    }

    /**
     * The text of a BSTR; a NULL BSTR is the empty string, as in OLE.
     *
     * @return the text, or {@code null} when the length prefix is not plausible
     */
    static @Nullable String readBstr(@Nullable Pointer bstr) {
        if (bstr == null) {
            return "";
        }
        int bytes = new Pointer(Pointer.nativeValue(bstr) - 4).getInt(0);
        if (bytes < 0 || bytes > MAX_BSTR_BYTES || bytes % 2 != 0) {
            return null;
        }
        return new String(bstr.getByteArray(0, bytes), StandardCharsets.UTF_16LE);
    }

    /** A NUL-terminated UTF-16 string (an {@code LPOLESTR}); {@code null} stays {@code null}. */
    static @Nullable String readOleString(@Nullable Pointer p) {
        if (p == null) {
            return null;
        }
        StringBuilder text = new StringBuilder();
        for (long offset = 0; offset < MAX_BSTR_BYTES; offset += 2) {
            char c = (char) p.getShort(offset);
            if (c == 0) {
                return text.toString();
            }
            text.append(c);
        }
        return null;
    }

    /**
     * The string a VARIANT holds: {@code VT_BSTR}, {@code VT_BSTR|VT_BYREF}, or a {@code VT_VARIANT|VT_BYREF} that
     * points at one of those.
     *
     * @return the string, or {@code null} when the VARIANT holds something else
     */
    static @Nullable String variantString(Pointer variant) {
        return variantString(variant, 0);
    }

    private static @Nullable String variantString(Pointer variant, int depth) {
        int vt = variant.getShort(0) & 0xFFFF;
        Pointer value = variant.getPointer(VARIANT_VALUE_OFFSET);
        switch (vt) {
            case VT_BSTR:
                return readBstr(value);
            case VT_BSTR | VT_BYREF:
                return value == null ? null : readBstr(value.getPointer(0));
            case VT_VARIANT | VT_BYREF:
                return value == null || depth > 0 ? null : variantString(value, depth + 1);
            default:
                return null;
        }
    }

    /** The integer a VARIANT holds ({@code VT_I4}, {@code VT_I2}, {@code VT_UI4}, or by reference), or null. */
    static @Nullable Integer variantInt(Pointer variant) {
        int vt = variant.getShort(0) & 0xFFFF;
        switch (vt) {
            case VT_I4, VT_UI4, VT_INT:
                return variant.getInt(VARIANT_VALUE_OFFSET);
            case VT_I2:
                return (int) variant.getShort(VARIANT_VALUE_OFFSET);
            case VT_I4 | VT_BYREF: {
                Pointer value = variant.getPointer(VARIANT_VALUE_OFFSET);
                return value == null ? null : value.getInt(0);
            }
            default:
                return null;
        }
    }

    /** The interface pointer a VARIANT holds ({@code VT_DISPATCH} or {@code VT_UNKNOWN}, or by reference), or null. */
    static @Nullable Pointer variantInterface(Pointer variant) {
        int vt = variant.getShort(0) & 0xFFFF;
        Pointer value = variant.getPointer(VARIANT_VALUE_OFFSET);
        switch (vt) {
            case VT_DISPATCH, VT_UNKNOWN:
                return value;
            case VT_DISPATCH | VT_BYREF, VT_UNKNOWN | VT_BYREF:
                return value == null ? null : value.getPointer(0);
            default:
                return null;
        }
    }

    /** {@code cArgs} of a DISPPARAMS. */
    static int argumentCount(Pointer dispParams) {
        return dispParams.getInt(2L * Native.POINTER_SIZE);
    }

    /** {@code cNamedArgs} of a DISPPARAMS. */
    static int namedArgumentCount(Pointer dispParams) {
        return dispParams.getInt(2L * Native.POINTER_SIZE + 4);
    }

    /**
     * {@code rgvarg[index]} of a DISPPARAMS: index 0 is the <em>last</em> parameter.
     *
     * @return the VARIANT, or {@code null} when {@code rgvarg} is NULL
     */
    static @Nullable Pointer argument(Pointer dispParams, int index) {
        Pointer rgvarg = dispParams.getPointer(0);
        return rgvarg == null ? null : rgvarg.share((long) index * VARIANT_SIZE);
    }
}
