package io.discagent.api;

import io.discagent.api.error.InvalidArgumentException;

/**
 * One element of a stream of acquire requests (see {@link ClientSession#acquireEach}).
 *
 * @param recorder the recorder to acquire
 * @param options how to acquire it
 */
public record AcquireRequest(RecorderId recorder, AcquireOptions options) {

    public AcquireRequest {
        InvalidArgumentException.requireNonNull(recorder, "recorder");
        InvalidArgumentException.requireNonNull(options, "options");
    }

    /** A request with the default options. */
    public static AcquireRequest of(RecorderId recorder) {
        return new AcquireRequest(recorder, AcquireOptions.DEFAULT);
    }
}
