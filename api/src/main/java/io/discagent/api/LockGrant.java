package io.discagent.api;

import io.discagent.api.error.InvalidArgumentException;

/**
 * A granted acquire: one more count on the session's lock of a recorder.
 *
 * @param recorder the recorder
 * @param session the session that holds it
 * @param lockCount the session's lock count after this acquire (1 for the acquire that locked the device)
 * @param holdId identifies the continuous hold this grant belongs to: it changes each time the session takes the
 *     recorder from free, so a release meant for a hold that was already lost (device removed) can be told apart
 */
public record LockGrant(RecorderId recorder, SessionId session, int lockCount, long holdId) {

    public LockGrant {
        InvalidArgumentException.requireNonNull(recorder, "recorder");
        InvalidArgumentException.requireNonNull(session, "session");
    }
}
