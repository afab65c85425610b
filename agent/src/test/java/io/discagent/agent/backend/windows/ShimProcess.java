package io.discagent.agent.backend.windows;

import com.sun.jna.Pointer;
import com.sun.jna.platform.win32.COM.COMException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One process of a {@link FakeMachine} on the native layer: the real binding ({@link JnaImapi2}) over this process's
 * copy of the native OLE stand-in ({@link ComShim}), whose objects ask this model what each call does. The model
 * answers with a {@link FakeImapi2} of the same process, so the semantics (locks, devices, scripted failures and
 * hangs, COM's thread rules) are exactly those the Java layer has; what the native layer adds is everything between
 * the backend and those semantics: vtable calls, HRESULTs, BSTR and SAFEARRAY ownership, reference counts, the message
 * pump and the wake event through the real Win32 signatures.
 *
 * <p>The model runs on the thread that made the native call (the callback comes back on it), so the fake sees the
 * caller's thread as IMAPI2 would.
 */
final class ShimProcess {

    // The model calls: the values of the C enum in comshim.c.
    static final int CO_INITIALIZE_EX = 1;
    static final int CO_UNINITIALIZE = 2;
    static final int CREATE_DISC_MASTER = 3;
    static final int CREATE_DISC_RECORDER = 4;
    static final int RELEASE = 5;
    static final int IS_SUPPORTED_ENVIRONMENT = 6;
    static final int COUNT = 7;
    static final int ITEM = 8;
    static final int ADVISE = 9;
    static final int UNADVISE = 10;
    static final int INITIALIZE_DISC_RECORDER = 11;
    static final int VENDOR_ID = 12;
    static final int PRODUCT_ID = 13;
    static final int PRODUCT_REVISION = 14;
    static final int VOLUME_PATH_NAMES = 15;
    static final int ACQUIRE_EXCLUSIVE_ACCESS = 16;
    static final int RELEASE_EXCLUSIVE_ACCESS = 17;
    static final int EXCLUSIVE_ACCESS_OWNER = 18;
    static final int PEEK = 20;
    static final int DISPATCH = 21;
    static final int CREATE_EVENT = 22;
    static final int SET_EVENT = 23;
    static final int CLOSE_EVENT = 24;
    static final int WAIT = 25;

    private final FakeMachine machine;
    private final String process;
    private final FakeImapi2 semantics;
    private final ComShim shim;
    private final Map<Long, FakeImapi2.ComObjectState> objects = new ConcurrentHashMap<>();

    ShimProcess(FakeMachine machine, String process) {
        this.machine = machine;
        this.process = process;
        this.semantics = new FakeImapi2(machine, process);
        this.shim = ComShim.process(process);
        shim.setModel(this::answer);
    }

    /** The real binding on this process's stand-in. */
    JnaImapi2 imapi2() {
        return new JnaImapi2(shim.libraries());
    }

    ComShim shim() {
        return shim;
    }

    String process() {
        return process;
    }

    /** What one native call does; never throws into native code. */
    private int answer(int call, long object, Pointer text, int textLength, long number, long number2, Pointer out) {
        try {
            return answerOrThrow(call, object, text == null ? "" : new String(text.getByteArray(0, 2 * textLength),
                    StandardCharsets.UTF_16LE), number, number2, out);
        } catch (COMException e) {
            return ComErrors.hresultOf(e); // the HRESULT the method returns, whichever shape the fake threw
        } catch (RuntimeException | Error e) {
            machine.violation("the native stand-in's model failed on call " + call + ": " + e);
            return ComCodes.E_UNEXPECTED;
        }
    }

    private int answerOrThrow(int call, long object, String text, long number, long number2, Pointer out) {
        switch (call) {
            case CO_INITIALIZE_EX:
                return semantics.coInitializeEx((int) number);
            case CO_UNINITIALIZE:
                semantics.coUninitialize();
                return ComCodes.S_OK;
            case CREATE_DISC_MASTER:
                objects.put(object, (FakeImapi2.ComObjectState) semantics.createDiscMaster());
                return ComCodes.S_OK;
            case CREATE_DISC_RECORDER:
                objects.put(object, (FakeImapi2.ComObjectState) semantics.createDiscRecorder());
                return ComCodes.S_OK;
            case RELEASE:
                FakeImapi2.ComObjectState released = objects.remove(object);
                if (released == null) {
                    machine.violation("the native stand-in released an unknown object " + object);
                } else {
                    released.release();
                }
                return ComCodes.S_OK;
            case IS_SUPPORTED_ENVIRONMENT:
                shim.control.shim_out_number(out, master(object).isSupportedEnvironment() ? 1 : 0);
                return ComCodes.S_OK;
            case COUNT:
                shim.control.shim_out_number(out, master(object).count());
                return ComCodes.S_OK;
            case ITEM:
                shim.outText(out, master(object).item((int) number));
                return ComCodes.S_OK;
            case ADVISE:
                shim.control.shim_out_number(out, master(object).advise(new Pointer(number)));
                return ComCodes.S_OK;
            case UNADVISE:
                master(object).unadvise((int) number);
                return ComCodes.S_OK;
            case INITIALIZE_DISC_RECORDER:
                recorder(object).initializeDiscRecorder(text);
                return ComCodes.S_OK;
            case VENDOR_ID:
                shim.outText(out, recorder(object).vendorId());
                return ComCodes.S_OK;
            case PRODUCT_ID:
                shim.outText(out, recorder(object).productId());
                return ComCodes.S_OK;
            case PRODUCT_REVISION:
                shim.outText(out, recorder(object).productRevision());
                return ComCodes.S_OK;
            case VOLUME_PATH_NAMES:
                List<String> paths = recorder(object).volumePathNames();
                for (String path : paths) {
                    shim.outText(out, path);
                }
                return ComCodes.S_OK;
            case ACQUIRE_EXCLUSIVE_ACCESS:
                recorder(object).acquireExclusiveAccess(number != 0, text);
                return ComCodes.S_OK;
            case RELEASE_EXCLUSIVE_ACCESS:
                recorder(object).releaseExclusiveAccess();
                return ComCodes.S_OK;
            case EXCLUSIVE_ACCESS_OWNER:
                String owner = recorder(object).exclusiveAccessOwner();
                if (owner == null) {
                    shim.control.shim_out_null(out);
                } else {
                    shim.outText(out, owner);
                }
                return ComCodes.S_OK;
            case PEEK:
                shim.control.shim_out_number(out, machine.peekMessage((number & ComCodes.PM_REMOVE) != 0));
                return ComCodes.S_OK;
            case DISPATCH:
                machine.dispatchMessage(number);
                return ComCodes.S_OK;
            case CREATE_EVENT:
                machine.createEvent(process, object);
                return ComCodes.S_OK;
            case SET_EVENT:
                machine.setEvent(process, object);
                return ComCodes.S_OK;
            case CLOSE_EVENT:
                machine.closeEvent(process, object);
                return ComCodes.S_OK;
            case WAIT:
                int result = machine.await(process, object, (int) number, (int) number2, (int) (number2 >>> 32));
                shim.control.shim_out_number(out, result & 0xFFFFFFFFL);
                return ComCodes.S_OK;
            default:
                machine.violation("the native stand-in asked the unknown call " + call);
                return ComCodes.E_UNEXPECTED;
        }
    }

    private FakeImapi2.Master master(long object) {
        return (FakeImapi2.Master) objects.get(object);
    }

    private FakeImapi2.Recorder recorder(long object) {
        return (FakeImapi2.Recorder) objects.get(object);
    }
}
