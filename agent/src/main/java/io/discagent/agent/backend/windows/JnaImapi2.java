package io.discagent.agent.backend.windows;

import com.sun.jna.Pointer;
import com.sun.jna.platform.win32.COM.util.ObjectFactory;
import com.sun.jna.platform.win32.Ole32;
import com.sun.jna.platform.win32.User32;
import com.sun.jna.platform.win32.WinUser.MSG;
import org.jspecify.annotations.Nullable;

/**
 * The real COM layer: jna-platform's {@code Ole32} and {@code User32}, and {@code COM.util} proxies that call IMAPI2
 * through {@code IDispatch::Invoke} with the exact DISPIDs ({@link JnaDispatch}). Windows only: created by
 * {@link WindowsBackendProvider#create} and never loaded elsewhere.
 *
 * <p>Each thread gets its own {@link ObjectFactory} (it has no thread of its own and calls on the caller's thread,
 * unlike jna-platform's {@code Factory}, whose {@code ComThread} is a multithreaded apartment that never pumps).
 */
final class JnaImapi2 implements Imapi2 {

    private final ThreadLocal<@Nullable ObjectFactory> factories = new ThreadLocal<>();
    private final ThreadLocal<@Nullable MSG> messages = new ThreadLocal<>();

    @Override
    public int coInitializeEx(int coInit) {
        return Ole32.INSTANCE.CoInitializeEx(Pointer.NULL, coInit).intValue();
    }

    @Override
    public void coUninitialize() {
        ObjectFactory factory = factories.get();
        factories.remove();
        messages.remove();
        if (factory != null) {
            factory.disposeAll(); // a safety net: the backend has released every object already
        }
        Ole32.INSTANCE.CoUninitialize();
    }

    @Override
    public int pumpMessages(int max) {
        MSG message = messages.get();
        if (message == null) {
            message = new MSG();
            messages.set(message);
        }
        int dispatched = 0;
        while (dispatched < max && User32.INSTANCE.PeekMessage(message, null, 0, 0, ComCodes.PM_REMOVE)) {
            dispatched++;
            if (message.message == ComCodes.WM_QUIT) {
                continue; // the agent, not WM_QUIT, ends this thread
            }
            User32.INSTANCE.TranslateMessage(message);
            User32.INSTANCE.DispatchMessage(message);
        }
        return dispatched;
    }

    @Override
    public DiscMaster createDiscMaster() {
        return new JnaDiscMaster(factory().createObject(JnaDispatch.MsftDiscMaster2.class));
    }

    @Override
    public DiscRecorder createDiscRecorder() {
        return new JnaDiscRecorder(factory().createObject(JnaDispatch.MsftDiscRecorder2.class));
    }

    private ObjectFactory factory() {
        ObjectFactory factory = factories.get();
        if (factory == null) {
            factory = new ObjectFactory();
            factories.set(factory);
        }
        return factory;
    }
}
