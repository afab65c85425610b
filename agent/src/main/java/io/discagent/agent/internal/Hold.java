package io.discagent.agent.internal;

import io.discagent.api.RecorderId;
import io.discagent.api.error.RecorderException;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/**
 * One continuous hold of a recorder by a session: from the acquire that took it from free to the release (or loss)
 * that made it free again. Leases watch {@link #end()} to learn that the lock was lost under them.
 */
final class Hold {

    final RecorderId recorder;
    final long id;
    private final Sinks.Empty<Void> end = Sinks.empty();

    Hold(RecorderId recorder, long id) {
        this.recorder = recorder;
        this.id = id;
    }

    /** Completes when the hold ends by a release, fails with the reason when the lock is lost. Replays to late subscribers. */
    Mono<Void> end() {
        return end.asMono();
    }

    void released() {
        end.tryEmitEmpty();
    }

    void lost(RecorderException reason) {
        end.tryEmitError(reason);
    }
}
