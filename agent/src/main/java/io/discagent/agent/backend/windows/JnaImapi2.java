package io.discagent.agent.backend.windows;

import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.platform.win32.COM.COMException;
import com.sun.jna.platform.win32.Guid.CLSID;
import com.sun.jna.platform.win32.Guid.IID;
import com.sun.jna.platform.win32.W32Errors;
import com.sun.jna.platform.win32.WinNT.HANDLE;
import com.sun.jna.platform.win32.WinNT.HRESULT;
import com.sun.jna.platform.win32.WinUser.MSG;
import com.sun.jna.ptr.PointerByReference;
import io.discagent.api.error.HResult;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * The real COM layer: {@code CoInitializeEx}/{@code CoUninitialize}, the message pump and the wake event through
 * jna-platform's declarations, and IMAPI2's objects created by {@code CoCreateInstance} for their vtable interfaces
 * ({@code IDiscMaster2}, {@code IDiscRecorder2}) and called through those vtables ({@link JnaDiscMaster},
 * {@link JnaDiscRecorder}).
 *
 * <p>On Windows it runs on the system's DLLs ({@link ComLibraries#system()}). The tests run this same class on Linux
 * against a native library that implements the OLE functions and fake IMAPI2 objects with real vtables.
 */
final class JnaImapi2 implements Imapi2 {

    private final ComLibraries libraries;
    private final OleStrings strings;
    private final ThreadLocal<@Nullable MSG> messages = new ThreadLocal<>();

    JnaImapi2(ComLibraries libraries) {
        this.libraries = libraries;
        this.strings = new OleStrings(libraries);
    }

    @Override
    public int coInitializeEx(int coInit) {
        return libraries.ole32.CoInitializeEx(Pointer.NULL, coInit).intValue();
    }

    @Override
    public void coUninitialize() {
        messages.remove();
        libraries.ole32.CoUninitialize();
    }

    @Override
    public int pumpMessages(int max) {
        MSG message = messages.get();
        if (message == null) {
            message = new MSG();
            messages.set(message);
        }
        int dispatched = 0;
        while (dispatched < max && libraries.user32.PeekMessage(message, null, 0, 0, ComCodes.PM_REMOVE)) {
            dispatched++;
            if (message.message == ComCodes.WM_QUIT) {
                continue; // the agent, not WM_QUIT, ends this thread
            }
            libraries.user32.TranslateMessage(message);
            libraries.user32.DispatchMessage(message);
        }
        return dispatched;
    }

    @Override
    public WakeEvent createWakeEvent() {
        HANDLE event = libraries.kernel32.CreateEvent(null, false, false, null);
        if (event == null) {
            int error = Native.getLastError();
            throw new COMException("CreateEventW failed", new HRESULT(error == 0 ? ComCodes.E_FAIL
                    : W32Errors.HRESULT_FROM_WIN32(error).intValue()));
        }
        return new JnaWakeEvent(event);
    }

    @Override
    public DiscMaster createDiscMaster() {
        return create(Imapi2Ids.CLSID_MSFT_DISC_MASTER2, Imapi2Ids.IID_IDISC_MASTER2,
                pointer -> new JnaDiscMaster(pointer, strings));
    }

    @Override
    public DiscRecorder createDiscRecorder() {
        return create(Imapi2Ids.CLSID_MSFT_DISC_RECORDER2, Imapi2Ids.IID_IDISC_RECORDER2,
                pointer -> new JnaDiscRecorder(pointer, strings));
    }

    @Override
    public DiscFormat2Data createDiscFormat2Data() {
        return create(Imapi2Ids.CLSID_MSFT_DISC_FORMAT2_DATA, Imapi2Ids.IID_IDISC_FORMAT2_DATA,
                pointer -> new JnaDiscFormat2Data(pointer, strings));
    }

    /** {@code CoCreateInstance(clsid, NULL, CLSCTX_SERVER, iid, &object)}, then the wrapper that owns the reference. */
    private <T> T create(String clsid, String iid, Function<Pointer, T> wrap) {
        PointerByReference object = new PointerByReference();
        HRESULT hr = libraries.ole32.CoCreateInstance(new CLSID(clsid), null, Imapi2Vtables.CLSCTX_SERVER,
                new IID(iid), object);
        if (hr.intValue() < 0) {
            throw new COMException("CoCreateInstance(" + clsid + ", " + iid + ") failed ("
                    + HResult.of(hr.intValue()) + ")", hr);
        }
        Pointer created = object.getValue();
        if (created == null) {
            throw new COMException("CoCreateInstance(" + clsid + ") returned no object",
                    new HRESULT(ComCodes.E_POINTER));
        }
        return wrap.apply(created);
    }

    /** A kernel event: set from any thread, waited on together with the waiting thread's message queue. */
    private final class JnaWakeEvent implements WakeEvent {

        private final HANDLE event;
        private final HANDLE[] handles;

        JnaWakeEvent(HANDLE event) {
            this.event = event;
            this.handles = new HANDLE[] {event};
        }

        @Override
        public void set() {
            libraries.kernel32.SetEvent(event);
        }

        @Override
        public Wakeup await(int millis) {
            int result = libraries.userExtras.MsgWaitForMultipleObjectsEx(1, handles, millis,
                    Imapi2Vtables.QS_ALLINPUT, Imapi2Vtables.MWMO_INPUTAVAILABLE);
            if (result == Imapi2Vtables.WAIT_OBJECT_0) {
                return Wakeup.SIGNALLED;
            }
            if (result == Imapi2Vtables.WAIT_OBJECT_0 + 1) {
                return Wakeup.MESSAGE;
            }
            if (result == Imapi2Vtables.WAIT_TIMEOUT) {
                return Wakeup.TIMEOUT;
            }
            int error = Native.getLastError();
            throw new COMException("MsgWaitForMultipleObjectsEx returned 0x" + Integer.toHexString(result),
                    new HRESULT(error == 0 ? ComCodes.E_FAIL : W32Errors.HRESULT_FROM_WIN32(error).intValue()));
        }

        @Override
        public void close() {
            libraries.kernel32.CloseHandle(event);
        }
    }
}
