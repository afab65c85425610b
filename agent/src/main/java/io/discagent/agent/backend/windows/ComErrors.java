package io.discagent.agent.backend.windows;

import com.sun.jna.platform.win32.COM.COMException;
import com.sun.jna.platform.win32.COM.COMInvokeException;
import com.sun.jna.platform.win32.WinNT.HRESULT;
import io.discagent.api.RecorderId;
import io.discagent.api.error.CommandTimeoutException;
import io.discagent.api.error.HResult;
import io.discagent.api.error.InvalidClientNameException;
import io.discagent.api.error.InvalidHandleException;
import io.discagent.api.error.NativeDetail;
import io.discagent.api.error.NativeRecorderException;
import io.discagent.api.error.RecorderException;
import io.discagent.api.error.RecorderExceptions;
import io.discagent.api.error.RecorderLockedException;
import io.discagent.api.error.RecorderRemovedException;
import io.discagent.api.error.VolumeMountedException;
import org.jspecify.annotations.Nullable;

/**
 * The one mapper from a COM failure to the agent's error model.
 *
 * <p>First the real HRESULT is taken from the exception: {@link COMException#getHresult()}, which the real binding
 * fills with the HRESULT the vtable method returned. (A {@link COMInvokeException}, which only a call through
 * {@code IDispatch::Invoke} produces, carries the real code in its scode, read first; the binding makes no such call,
 * but any {@code Imapi2} may.) The COM description is kept in a {@link NativeDetail}. Then, per call:
 * <ul>
 * <li>{@code E_IMAPI_RECORDER_LOCKED} from any call &rarr; {@link RecorderLockedException} (the caller then asks
 * {@code ExclusiveAccessOwner} who holds it);</li>
 * <li>from {@code AcquireExclusiveAccess} only: {@code E_ACCESSDENIED} &rarr; {@link RecorderLockedException} (the
 * driver's answer to a second holder), {@code HRESULT_FROM_WIN32(ERROR_BAD_COMMAND)} &rarr;
 * {@link VolumeMountedException} ({@code force} needed), {@code E_INVALIDARG} &rarr;
 * {@link InvalidClientNameException}; from any other call {@code E_ACCESSDENIED} is an
 * {@link io.discagent.api.error.AccessDeniedException} (a policy refusal, not a lock) and {@code ERROR_BAD_COMMAND}
 * keeps its code in a {@link NativeRecorderException};</li>
 * <li>from {@code ReleaseExclusiveAccess} only: {@code HRESULT_FROM_WIN32(ERROR_INVALID_FUNCTION)} &rarr;
 * {@link io.discagent.api.error.LockNotHeldException}; from any other call a {@link NativeRecorderException};</li>
 * <li>{@code RPC_E_DISCONNECTED} from a COM call (the object's server went away) stays a
 * {@link NativeRecorderException};</li>
 * <li>{@code E_IMAPI_RECORDER_COMMAND_TIMEOUT} &rarr; {@link CommandTimeoutException};
 * {@code HRESULT_FROM_WIN32(ERROR_DEV_NOT_EXIST)} &rarr; {@link RecorderRemovedException} and
 * {@code HRESULT_FROM_WIN32(ERROR_INVALID_HANDLE)} &rarr; {@link InvalidHandleException} (the agent drops the
 * recorder, and the backend enumerates again);</li>
 * <li>anything else through {@link RecorderExceptions#create}, which keeps its code and name.</li>
 * </ul>
 * Pure functions; any thread.
 */
final class ComErrors {

    /** {@code HRESULT_FROM_WIN32(ERROR_INVALID_FUNCTION)}: the driver's answer to an unlock while not locked. */
    static final int ERROR_INVALID_FUNCTION = 0x80070001;
    /** {@code RPC_E_DISCONNECTED}: the object invoked has disconnected from its clients. */
    static final int RPC_E_DISCONNECTED = 0x80010108;

    private ComErrors() {
    }

    /**
     * The HRESULT a COM failure carries: a {@link COMInvokeException}'s non-zero scode first, then the exception's
     * HRESULT, looking through wrapping exceptions; {@code E_FAIL} when there is no COM code at all.
     */
    static int hresultOf(Throwable failure) {
        COMException com = comException(failure);
        if (com == null) {
            return ComCodes.E_FAIL;
        }
        if (com instanceof COMInvokeException invoke) {
            Integer scode = invoke.getScode();
            if (scode != null && scode != 0) {
                return scode;
            }
        }
        HRESULT hr = com.getHresult();
        return hr == null ? ComCodes.E_FAIL : hr.intValue();
    }

    /**
     * The typed exception for a failed COM call. A {@link RecorderException} (already mapped) is returned as it is.
     *
     * @param failure what the COM layer threw
     * @param call the call that failed
     * @param recorder the recorder concerned, if any
     */
    static RecorderException map(Throwable failure, Imapi2Call call, @Nullable RecorderId recorder) {
        if (failure instanceof RecorderException recorderError) {
            return recorderError;
        }
        int code = hresultOf(failure);
        return create(code, call, recorder, detail(failure, call, code), failure);
    }

    /** The typed exception for an HRESULT a COM function returned (no exception involved). */
    static RecorderException map(int code, Imapi2Call call, @Nullable RecorderId recorder) {
        NativeDetail detail = NativeDetail.of(call.describe(), unsigned(code), HResult.of(code).name(), "");
        return create(code, call, recorder, detail, null);
    }

    private static RecorderException create(int code, Imapi2Call call, @Nullable RecorderId recorder,
            NativeDetail detail, @Nullable Throwable cause) {
        HResult hresult = HResult.of(code);
        String failed = call.describe() + " failed" + (recorder == null ? "" : " on recorder " + recorder);
        boolean acquire = call == Imapi2Call.ACQUIRE_EXCLUSIVE_ACCESS;
        switch (code) {
            case ComCodes.E_IMAPI_RECORDER_LOCKED:
                return locked(hresult, failed, recorder, detail, cause);
            case ComCodes.E_ACCESSDENIED:
                if (acquire) {
                    return locked(hresult, failed, recorder, detail, cause);
                }
                break;
            case ComCodes.E_IMAPI_RECORDER_COMMAND_TIMEOUT:
                return new CommandTimeoutException(hresult, failed + ": the device did not complete the command in "
                        + "time", recorder, null, detail, cause);
            case ComCodes.HRESULT_FROM_WIN32_ERROR_DEV_NOT_EXIST:
                return new RecorderRemovedException(hresult, failed + ": the recorder is gone", recorder, null,
                        detail, cause);
            case ComCodes.HRESULT_FROM_WIN32_ERROR_INVALID_HANDLE:
                return new InvalidHandleException(hresult, failed + ": the recorder's handle is dead", recorder, null,
                        detail, cause);
            case ComCodes.HRESULT_FROM_WIN32_ERROR_BAD_COMMAND:
                if (acquire) {
                    return new VolumeMountedException(hresult, failed + ": a file system is mounted on the recorder; "
                            + "acquire with force to dismount it", recorder, null, detail, cause);
                }
                return new NativeRecorderException(hresult, failed, recorder, null, detail, cause);
            case ComCodes.E_IMAPI_DF2DATA_CLIENT_NAME_IS_NOT_VALID:
            case ComCodes.E_IMAPI_RECORDER_CLIENT_NAME_IS_NOT_VALID:
                return new InvalidClientNameException(hresult, failed + ": the client name was refused", recorder,
                        null, detail, cause);
            case ComCodes.E_INVALIDARG:
                if (acquire || call == Imapi2Call.PUT_CLIENT_NAME) {
                    return new InvalidClientNameException(hresult, failed + ": the client name was refused", recorder,
                            null, detail, cause);
                }
                break;
            case ERROR_INVALID_FUNCTION:
                if (call != Imapi2Call.RELEASE_EXCLUSIVE_ACCESS) {
                    return new NativeRecorderException(hresult, failed, recorder, null, detail, cause);
                }
                break;
            case RPC_E_DISCONNECTED:
                return new NativeRecorderException(hresult, failed + ": the COM object is disconnected", recorder,
                        null, detail, cause);
            default:
                break;
        }
        return RecorderExceptions.create(hresult, failed, recorder, null, detail, cause);
    }

    private static RecorderLockedException locked(HResult hresult, String failed, @Nullable RecorderId recorder,
            NativeDetail detail, @Nullable Throwable cause) {
        return new RecorderLockedException(hresult, failed + ": the recorder is exclusively locked by another client",
                recorder, null, detail, cause);
    }

    private static NativeDetail detail(Throwable failure, Imapi2Call call, int code) {
        COMException com = comException(failure);
        String source = call.describe();
        String description;
        if (com instanceof COMInvokeException invoke) {
            HRESULT outer = invoke.getHresult();
            if (outer != null && outer.intValue() != code) {
                source += " via IDispatch::Invoke " + HResult.of(outer.intValue());
            }
            description = join(invoke.getDescription(), invoke.getSource() == null ? null
                    : "source: " + invoke.getSource());
            Integer wCode = invoke.getWCode();
            if (wCode != null && wCode != 0) {
                description = join(description, "wCode " + wCode);
            }
            if (description.isEmpty()) {
                description = text(invoke.getMessage());
            }
        } else if (com != null) {
            description = text(com.getMessage());
        } else {
            description = failure.toString();
        }
        return NativeDetail.of(source, unsigned(code), HResult.of(code).name(), description);
    }

    private static @Nullable COMException comException(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof COMException comException) {
                return comException;
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return null;
    }

    private static String join(@Nullable String first, @Nullable String second) {
        String a = text(first);
        String b = text(second);
        return a.isEmpty() ? b : b.isEmpty() ? a : a + " (" + b + ")";
    }

    private static String text(@Nullable String s) {
        return s == null ? "" : s.trim();
    }

    private static long unsigned(int code) {
        return code & 0xFFFFFFFFL;
    }
}
