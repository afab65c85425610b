package io.discagent.agent.backend.windows;

import com.sun.jna.Function;
import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;
import com.sun.jna.platform.win32.Kernel32;
import com.sun.jna.platform.win32.Ole32;
import com.sun.jna.platform.win32.OleAuto;
import com.sun.jna.platform.win32.User32;
import com.sun.jna.platform.win32.WTypes.BSTR;
import com.sun.jna.platform.win32.WinNT.HANDLE;
import com.sun.jna.win32.StdCallLibrary;
import com.sun.jna.win32.W32APIOptions;
import java.util.HashMap;
import java.util.Map;

/**
 * The Win32 and OLE functions the real binding calls: jna-platform's own declarations ({@link Ole32},
 * {@link OleAuto}, {@link User32}, {@link Kernel32}) plus the two functions jna-platform does not declare
 * ({@code SysAllocStringLen}, {@code MsgWaitForMultipleObjectsEx}), each loaded here rather than taken from the
 * interfaces' {@code INSTANCE} fields.
 *
 * <p>Loading them here is what lets the very same binding run on Linux against a test library that implements these
 * functions: jna-platform's {@code INSTANCE}s use the options of {@link W32APIOptions#DEFAULT_OPTIONS}, whose
 * interfaces are {@link StdCallLibrary}s, and JNA refuses that calling convention off Windows ("Unrecognized calling
 * convention: 63"). {@link #load} uses the same options, and only off Windows adds {@link Function#C_CONVENTION} (on
 * 64-bit Windows the two conventions are one; on 32-bit Windows the default stays {@code __stdcall}).
 *
 * <p>Immutable; any thread.
 */
final class ComLibraries {

    /** The DLLs of a Windows system, as jna-platform names them. */
    static final String OLE32 = "Ole32";
    static final String OLEAUT32 = "OleAut32";
    static final String USER32 = "user32";
    static final String KERNEL32 = "kernel32";

    final Ole32 ole32;
    final OleAuto oleAuto;
    final OleAutoExtras oleAutoExtras;
    final User32 user32;
    final UserExtras userExtras;
    final Kernel32 kernel32;

    /** {@code SysAllocStringLen}, which jna-platform's {@link OleAuto} does not declare. */
    interface OleAutoExtras extends StdCallLibrary {

        /**
         * {@code BSTR SysAllocStringLen(const OLECHAR *strIn, UINT ui)}: a BSTR of {@code length} UTF-16 code units
         * copied from {@code chars}; NULL when out of memory.
         */
        BSTR SysAllocStringLen(Pointer chars, int length);
    }

    /** {@code MsgWaitForMultipleObjectsEx}, which jna-platform's {@link User32} does not declare. */
    interface UserExtras extends StdCallLibrary {

        /**
         * {@code DWORD MsgWaitForMultipleObjectsEx(DWORD nCount, const HANDLE *pHandles, DWORD dwMilliseconds,
         * DWORD dwWakeMask, DWORD dwFlags)}.
         */
        int MsgWaitForMultipleObjectsEx(int count, HANDLE[] handles, int milliseconds, int wakeMask, int flags);
    }

    private ComLibraries(String ole32, String oleAut32, String user32, String kernel32) {
        this.ole32 = load(ole32, Ole32.class);
        this.oleAuto = load(oleAut32, OleAuto.class);
        this.oleAutoExtras = load(oleAut32, OleAutoExtras.class);
        this.user32 = load(user32, User32.class);
        this.userExtras = load(user32, UserExtras.class);
        this.kernel32 = load(kernel32, Kernel32.class);
    }

    /** The system's DLLs (Windows). */
    static ComLibraries system() {
        return new ComLibraries(OLE32, OLEAUT32, USER32, KERNEL32);
    }

    /**
     * Every function from one library, given by path or name: the tests' native stand-in for the four DLLs. (Loading
     * one of jna-platform's interfaces initialises it, and with it its {@code INSTANCE} field, so the four Windows
     * names must be loadable too; the tests point them at the same stand-in.)
     */
    static ComLibraries allIn(String library) {
        return new ComLibraries(library, library, library, library);
    }

    /** The options every library is loaded with: jna-platform's, in the C calling convention off Windows. */
    static Map<String, Object> options() {
        Map<String, Object> options = new HashMap<>(W32APIOptions.DEFAULT_OPTIONS);
        if (!Platform.isWindows()) {
            options.put(Library.OPTION_CALLING_CONVENTION, Function.C_CONVENTION);
        }
        return options;
    }

    private static <T extends Library> T load(String library, Class<T> type) {
        return Native.load(library, type, options());
    }
}
