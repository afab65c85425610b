package io.discagent.api.error;

import io.discagent.api.RecorderId;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * The root of every failure discagent reports. Each one carries its {@link HResult} (code, symbolic name and
 * message) and, where known, the recorder, the current owner of the recorder and the native detail.
 *
 * <p>Two abstract branches tell callers what to do: a {@link TransientRecorderException} may succeed when tried
 * again (the recorder is locked, a command or a wait timed out); a {@link NonTransientRecorderException} will not
 * (the recorder is gone, the input is invalid).
 *
 * <p>Instances are immutable.
 */
public abstract sealed class RecorderException extends RuntimeException
        permits TransientRecorderException, NonTransientRecorderException {

    private static final long serialVersionUID = 1L;

    /** The HRESULT of the failure, never {@code null}. */
    private final HResult hresult;
    /** The message without the HRESULT prefix. */
    private final String detailMessage;
    /** The recorder the failure concerns, or {@code null}. */
    private final @Nullable RecorderId recorder;
    /** The holder of the recorder when the failure happened, or {@code null} if not known. */
    private final @Nullable String owner;
    /** What the operating system reported, or {@code null} if the failure did not come from a native call. */
    private final @Nullable NativeDetail nativeDetail;

    RecorderException(HResult hresult, String message, @Nullable RecorderId recorder, @Nullable String owner,
            @Nullable NativeDetail nativeDetail, @Nullable Throwable cause, boolean writableStackTrace) {
        super(format(hresult, message, nativeDetail), cause, true, writableStackTrace);
        this.hresult = Objects.requireNonNull(hresult, "hresult");
        this.detailMessage = Objects.requireNonNull(message, "message");
        this.recorder = recorder;
        this.owner = owner;
        this.nativeDetail = nativeDetail;
    }

    private static String format(HResult hresult, String message, @Nullable NativeDetail nativeDetail) {
        String text = hresult.hex() + " " + hresult.name() + ": " + message;
        return nativeDetail == null ? text : text + " [" + nativeDetail + "]";
    }

    /**
     * The HRESULT, never {@code null}.
     *
     * @return the HRESULT: its code, symbolic name (such as {@code E_IMAPI_RECORDER_LOCKED}) and message
     */
    public HResult hresult() {
        return hresult;
    }

    /**
     * The message without the HRESULT prefix.
     *
     * @return what happened, as given when the exception was made; {@link #getMessage()} adds the HRESULT's hex
     *     code and name in front and the native detail, if any, behind
     */
    public String detailMessage() {
        return detailMessage;
    }

    /**
     * The recorder the failure concerns, if any.
     *
     * @return the recorder, or empty when the failure is not about one recorder (a closed session, most invalid
     *     arguments)
     */
    public Optional<RecorderId> recorder() {
        return Optional.ofNullable(recorder);
    }

    /**
     * The client that held the recorder when the failure happened: a session's client name, or the name a
     * backend reports for a holder outside the agent (for example {@code wodim (pid 4242)}).
     *
     * @return the holder, or empty when nobody held it or the holder is not known
     */
    public Optional<String> owner() {
        return Optional.ofNullable(owner);
    }

    /**
     * What the operating system reported, if the failure came from a native call.
     *
     * @return the native detail (errno and sense data on Linux, COM scode on Windows), or empty
     */
    public Optional<NativeDetail> nativeDetail() {
        return Optional.ofNullable(nativeDetail);
    }

    /**
     * Whether trying again later may succeed.
     *
     * @return {@code true} for a {@link TransientRecorderException}, {@code false} for a
     *     {@link NonTransientRecorderException}
     */
    public abstract boolean isTransient();
}
