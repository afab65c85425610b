package io.discagent.api.error;

import io.discagent.api.RecorderId;
import org.jspecify.annotations.Nullable;

/**
 * An argument is not valid (a negative timeout, a missing option). See {@link #requireNonNull} for the convention
 * every API method follows.
 *
 * <p>Default HRESULT: {@link HResult#E_INVALIDARG}.
 */
public final class InvalidArgumentException extends NonTransientRecorderException {

    private static final long serialVersionUID = 1L;

    /**
     * @param hresult the HRESULT the failure carries
     * @param message what happened
     * @param recorder the recorder concerned, if any
     * @param owner the holder of the recorder at the time, if known
     * @param nativeDetail what the operating system reported, if anything
     * @param cause the underlying exception, if any
     */
    public InvalidArgumentException(HResult hresult, String message, @Nullable RecorderId recorder, @Nullable String owner,
            @Nullable NativeDetail nativeDetail, @Nullable Throwable cause) {
        super(hresult, message, recorder, owner, nativeDetail, cause);
    }

    /**
     * @param message what happened
     * @param recorder the recorder concerned, if any
     */
    public InvalidArgumentException(String message, @Nullable RecorderId recorder) {
        this(RecorderExceptions.defaultCode(InvalidArgumentException.class), message, recorder, null, null, null);
    }

    /**
     * @param message what is wrong (name the parameter and its value)
     */
    public InvalidArgumentException(String message) {
        this(message, null);
    }

    /**
     * The one convention for bad arguments across discagent's API: a missing value fails with this exception
     * ({@code E_INVALIDARG}, {@code 0x80070057}) naming the parameter. Methods that return a {@code Mono} or a
     * {@code Flux} signal it as their error (on the agent's event loop); constructors and builders throw it.
     *
     * @param <T> the argument's type
     * @param value the argument
     * @param name the parameter's name, as the javadoc spells it
     * @return {@code value}
     * @throws InvalidArgumentException if {@code value} is {@code null}
     */
    public static <T> T requireNonNull(@Nullable T value, String name) {
        if (value == null) {
            throw new InvalidArgumentException(name + " must not be null", null);
        }
        return value;
    }

    /**
     * Checks a condition on an argument.
     *
     * @param condition what must hold
     * @param message what is wrong when it does not (name the parameter and its value)
     * @throws InvalidArgumentException if {@code condition} is false
     */
    public static void require(boolean condition, String message) {
        if (!condition) {
            throw new InvalidArgumentException(message, null);
        }
    }
}
