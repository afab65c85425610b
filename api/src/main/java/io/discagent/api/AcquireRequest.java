package io.discagent.api;

import io.discagent.api.error.InvalidArgumentException;

/**
 * One element of a stream of acquire requests (see {@link ClientSession#acquireEach}).
 *
 * @param recorder the recorder to acquire
 * @param options how to acquire it
 */
public record AcquireRequest(RecorderId recorder, AcquireOptions options) {

    /**
     * Checks the request.
     *
     * @param recorder the recorder to acquire
     * @param options how to acquire it
     * @throws InvalidArgumentException ({@code E_INVALIDARG}) if {@code recorder} or
     *     {@code options} is {@code null}
     */
    public AcquireRequest {
        InvalidArgumentException.requireNonNull(recorder, "recorder");
        InvalidArgumentException.requireNonNull(options, "options");
    }

    /**
     * A request with the default options ({@link AcquireOptions#DEFAULT}: no force, fail at once when held).
     *
     * @param recorder the recorder to acquire
     * @return the request
     * @throws InvalidArgumentException if {@code recorder} is {@code null}
     */
    public static AcquireRequest of(RecorderId recorder) {
        return new AcquireRequest(recorder, AcquireOptions.DEFAULT);
    }
}
